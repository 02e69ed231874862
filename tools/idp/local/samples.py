"""Sample documents and their BDA recordings, generated deterministically (`idp samples generate`).

Each sample is a small, valid PDF with the document's text, plus a recording of what BDA returns
for it in the real output format (standard output text, custom output with the matched
blueprint, inference_result and explainability_info). The recordings are synthetic — no BDA call
can be made here — and are labelled so in every file. Their shape is BDA's published output
(samples/README.md names the sources; tests/tools/test_samples_and_image.py holds every recording to
it): `document_class.type` is the matched blueprint's class - the type's display name, as
`idp configs publish` writes it into the blueprint - never our type key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from idp.paths import REPO_ROOT
from idp_common.status import DocumentStatus

SAMPLES_DIR = REPO_ROOT / "samples"


@dataclass(frozen=True)
class Sample:
    name: str
    declared_type: str  # what the client says it uploads
    lines: tuple[str, ...]  # the document text
    fields: dict[str, Any] = field(default_factory=dict)
    matched_blueprint: str | None = None
    blueprint_confidence: float = 0.95
    field_confidence: float = 0.96
    expected: DocumentStatus = DocumentStatus.COMPLETED
    content_type: str = "application/pdf"
    corrupt: bool = False

    @property
    def filename(self) -> str:
        return f"{self.name}.pdf"


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "passport-en",
        "passport",
        (
            "UNITED KINGDOM OF GREAT BRITAIN AND NORTHERN IRELAND",
            "PASSPORT  Type P  Code GBR  Passport No. 925076473",
            "Surname JONES  Given names ALICE MARY  Nationality BRITISH CITIZEN",
            "Date of birth 14 MAR 1988  Sex F  Place of birth LONDON",
            "Date of issue 02 JUN 2021  Date of expiry 02 JUN 2031  Authority HMPO",
            "P<GBRJONES<<ALICE<MARY<<<<<<<<<<<<<<<<<<<<<<",
            "9250764733GBR8803146F3106022<<<<<<<<<<<<<<04",
        ),
        {
            "passport_number": "925076473",
            "surname": "JONES",
            "given_names": "ALICE MARY",
            "nationality": "GBR",
            "date_of_birth": "1988-03-14",
            "sex": "F",
            "date_of_issue": "2021-06-02",
            "date_of_expiry": "2031-06-02",
            "issuing_authority": "HMPO",
            "mrz_line_1": "P<GBRJONES<<ALICE<MARY<<<<<<<<<<<<<<<<<<<<<<",
            "mrz_line_2": "9250764733GBR8803146F3106022<<<<<<<<<<<<<<04",
        },
        "idp-passport",
    ),
    Sample(
        "passport-fr",
        "passport",
        (
            "RÉPUBLIQUE FRANÇAISE  PASSEPORT",
            "Type P  Code du pays FRA  Numéro du passeport 19AB12345",
            "Nom MARTIN  Prénoms CLAIRE SOPHIE  Nationalité Française",
            "Date de naissance 21 07 1990  Sexe F  Lieu de naissance LYON",
            "Date de délivrance 10 01 2020  Date d'expiration 09 01 2030",
            "Autorité Préfecture du Rhône",
            "P<FRAMARTIN<<CLAIRE<SOPHIE<<<<<<<<<<<<<<<<<<",
            "19AB123456FRA9007217F3001095<<<<<<<<<<<<<<02",
        ),
        {
            "passport_number": "19AB12345",
            "surname": "MARTIN",
            "given_names": "CLAIRE SOPHIE",
            "nationality": "FRA",
            "date_of_birth": "1990-07-21",
            "sex": "F",
            "date_of_issue": "2020-01-10",
            "date_of_expiry": "2030-01-09",
            "issuing_authority": "Préfecture du Rhône",
        },
        "idp-passport",
    ),
    Sample(
        "drivers-license-de",
        "drivers-license",
        (
            "FÜHRERSCHEIN  BUNDESREPUBLIK DEUTSCHLAND",
            "1. MÜLLER  2. JONAS  3. 05.11.1985 MÜNCHEN",
            "4a. 12.04.2019  4b. 11.04.2034  4c. Landratsamt München",
            "5. B072RRE2I55  8. Leopoldstraße 12, 80802 München",
            "9. AM/B/BE/L  Die Fahrerlaubnis gilt für die angegebenen Klassen.",
        ),
        {
            "license_number": "B072RRE2I55",
            "surname": "MÜLLER",
            "given_names": "JONAS",
            "date_of_birth": "1985-11-05",
            "date_of_issue": "2019-04-12",
            "date_of_expiry": "2034-04-11",
            "issuing_country": "DE",
            "address": "Leopoldstraße 12, 80802 München",
            "categories": ["AM", "B", "BE", "L"],
        },
        "idp-drivers-license",
    ),
    Sample(
        "bank-statement-en",
        "bank-statement",
        (
            "Northwind Bank plc   Current account statement",
            "Account holder: Mr Samuel Okafor   IBAN GB33BUKB20201555555555",
            "Statement period 01 September 2026 to 30 September 2026   Currency GBP",
            "Opening balance 1,250.00",
            "03 Sep 2026  Salary September  +3,200.00",
            "05 Sep 2026  Rent payment  -1,400.00",
            "18 Sep 2026  Grocery store  -86.40",
            "Closing balance 2,963.60",
        ),
        {
            "bank_name": "Northwind Bank plc",
            "account_holder": "Mr Samuel Okafor",
            "iban": "GB33BUKB20201555555555",
            "statement_period_start": "2026-09-01",
            "statement_period_end": "2026-09-30",
            "currency": "GBP",
            "opening_balance": 1250.00,
            "closing_balance": 2963.60,
            "transactions": [
                {"date": "2026-09-03", "description": "Salary September", "amount": 3200.00},
                {"date": "2026-09-05", "description": "Rent payment", "amount": -1400.00},
                {"date": "2026-09-18", "description": "Grocery store", "amount": -86.40},
            ],
        },
        "idp-bank-statement",
    ),
    Sample(
        "utility-bill-es",
        "utility-bill",
        (
            "Iberluz Energía S.A.   Factura de electricidad",
            "Titular del contrato: Lucía Fernández García",
            "Dirección de suministro: Calle de Alcalá 45, 28014 Madrid",
            "Número de contrato ES-7781-2299   Fecha de emisión 15/10/2026",
            "Importe total a pagar 84,37 EUR   Gracias por confiar en nosotros.",
        ),
        {
            "supplier_name": "Iberluz Energía S.A.",
            "customer_name": "Lucía Fernández García",
            "service_address": "Calle de Alcalá 45, 28014 Madrid",
            "account_number": "ES-7781-2299",
            "bill_date": "2026-10-15",
            "utility_type": "electricity",
            "amount_due": 84.37,
            "currency": "EUR",
        },
        "idp-utility-bill",
    ),
    Sample(
        "invoice-de",
        "invoice",
        (
            "Rechnung Nr. RE-2026-0412   Rechnungsdatum 03.11.2026   Fällig am 03.12.2026",
            "Lieferant: Beispiel Maschinenbau GmbH, USt-IdNr. DE123456789",
            "Kunde: Nordlicht Logistik AG",
            "Pos. 1  Wartung der Förderanlage  2 x 450,00 EUR  900,00 EUR",
            "Pos. 2  Ersatzteile  1 x 250,00 EUR  250,00 EUR",
            "Nettobetrag 1.150,00 EUR   Umsatzsteuer 19 % 218,50 EUR   Gesamtbetrag 1.368,50 EUR",
        ),
        {
            "invoice_number": "RE-2026-0412",
            "invoice_date": "2026-11-03",
            "due_date": "2026-12-03",
            "supplier_name": "Beispiel Maschinenbau GmbH",
            "supplier_vat_id": "DE123456789",
            "customer_name": "Nordlicht Logistik AG",
            "currency": "EUR",
            "net_amount": 1150.00,
            "tax_amount": 218.50,
            "total_amount": 1368.50,
            "line_items": [
                {"description": "Wartung der Förderanlage", "quantity": 2, "unit_price": 450.00, "amount": 900.00},
                {"description": "Ersatzteile", "quantity": 1, "unit_price": 250.00, "amount": 250.00},
            ],
        },
        "idp-invoice",
    ),
    Sample(
        "payslip-it",
        "payslip",
        (
            "Cedolino paga   Periodo di paga: ottobre 2026",
            "Datore di lavoro: Rossi Costruzioni S.r.l.   Dipendente: Marco Bianchi   Matricola 00417",
            "Dal 01/10/2026 al 31/10/2026   Data di pagamento 27/10/2026",
            "Retribuzione lorda 3.100,00 EUR   Totale trattenute 820,45 EUR",
            "Netto in busta 2.279,55 EUR",
        ),
        {
            "employer_name": "Rossi Costruzioni S.r.l.",
            "employee_name": "Marco Bianchi",
            "employee_id": "00417",
            "pay_period_start": "2026-10-01",
            "pay_period_end": "2026-10-31",
            "pay_date": "2026-10-27",
            "currency": "EUR",
            "gross_pay": 3100.00,
            "total_deductions": 820.45,
            "net_pay": 2279.55,
        },
        "idp-payslip",
    ),
    Sample(
        "invoice-declared-as-payslip",
        "payslip",
        (
            "Invoice INV-88213   Date 12 November 2026   Due 12 December 2026",
            "From: Contoso Office Supplies Ltd, VAT GB987654321   To: Fabrikam Ltd",
            "1 x Ergonomic office chair 240.00   2 x Desk lamp 35.00",
            "Net 310.00 GBP   VAT 62.00 GBP   Total 372.00 GBP",
        ),
        {
            "invoice_number": "INV-88213",
            "invoice_date": "2026-11-12",
            "supplier_name": "Contoso Office Supplies Ltd",
            "total_amount": 372.00,
        },
        "idp-invoice",
        expected=DocumentStatus.LOW_CONFIDENCE,
    ),
    Sample(
        "utility-bill-blurry",
        "utility-bill",
        (
            "Thames Valley Water   Water and sewerage bill",
            "Customer: Priya Raman   Supply address: 7 Riverside Walk, Reading RG1 8DB",
            "Account 4471902   Bill date 01 October 2026   Amount due 61.20 GBP",
        ),
        {
            "supplier_name": "Thames Valley Water",
            "customer_name": "Priya Raman",
            "service_address": "7 Riverside Walk, Reading RG1 8DB",
            "account_number": "4471902",
            "bill_date": "2026-10-01",
            "utility_type": "water",
            "amount_due": 61.20,
            "currency": "GBP",
        },
        "idp-utility-bill",
        field_confidence=0.55,
        expected=DocumentStatus.LOW_CONFIDENCE,
    ),
    Sample("corrupt-scan", "invoice", (), corrupt=True, expected=DocumentStatus.FAILED),
)


def _pdf_text(value: str) -> str:
    # PDF literal strings in WinAnsi (cp1252): escape the delimiters, keep accented letters.
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def render_pdf(lines: tuple[str, ...]) -> bytes:
    """A minimal, valid one-page PDF 1.4 with the lines in Helvetica. Deterministic: no dates, no ids."""
    content = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
    for line in lines:
        content.append(f"({_pdf_text(line)}) Tj T*")
    content.append("ET")
    stream = "\n".join(content).encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def document_bytes(sample: Sample) -> bytes:
    if sample.corrupt:
        # Deterministic garbage with a PDF header: what a truncated or damaged scan looks like.
        return b"%PDF-1.4\n" + hashlib.sha512(sample.name.encode()).digest() * 64
    return render_pdf(sample.lines)


def blueprint_arn(name: str, account_id: str = "123456789012", region: str = "eu-west-1") -> str:
    """A blueprint's ARN as BDA makes them (a 12-hex-digit id), deterministic per name."""
    return f"arn:aws:bedrock:{region}:{account_id}:blueprint/{hashlib.sha256(name.encode()).hexdigest()[:12]}"


def blueprint_classes(configs_dir: Path = REPO_ROOT / "doc-configs") -> dict[str, str]:
    """Blueprint name -> its class: the type's display name (idp.configs.blueprint writes it as `class`)."""
    classes = {}
    for folder in sorted(p for p in configs_dir.iterdir() if (p / "config.json").is_file()):
        config = json.loads((folder / "config.json").read_text())
        classes[config["classification"]["blueprint_name"]] = config["display_name"]
    return classes


def _leaf(value: Any, confidence: float, index: int) -> dict[str, Any]:
    """One field's explainability entry as BDA writes it: success, confidence, geometry (page 1-based,
    a bounding box and its four vertices), the value's type, the value."""
    top, left, width, height = round(0.08 + 0.035 * (index % 24), 4), 0.1, 0.35, 0.022
    box = {"top": top, "left": left, "width": width, "height": height}
    corners = [(left, top), (left + width, top), (left + width, top + height), (left, top + height)]
    kind = "boolean" if isinstance(value, bool) else "number" if isinstance(value, int | float) else "string"
    return {
        "success": True,
        "confidence": confidence,
        "geometry": [
            {"boundingBox": box, "vertices": [{"x": round(x, 4), "y": round(y, 4)} for x, y in corners], "page": 1}
        ],
        "type": kind,
        "value": value,
    }


def _explainability(fields: dict[str, Any], confidence: float) -> dict[str, Any]:
    counter = iter(range(10_000))

    def explain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: explain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [explain(v) for v in value]
        return _leaf(value, confidence, next(counter))

    return {name: explain(value) for name, value in fields.items()}


def recording(sample: Sample, body: bytes) -> dict[str, Any] | None:
    if sample.corrupt:
        return None
    text = "\n".join(sample.lines)
    custom = None
    if sample.matched_blueprint:
        custom = {
            "matched_blueprint": {
                "arn": blueprint_arn(sample.matched_blueprint),
                "name": sample.matched_blueprint,
                "confidence": sample.blueprint_confidence,
            },
            "document_class": {"type": blueprint_classes()[sample.matched_blueprint]},
            "split_document": {"page_indices": [0]},
            "inference_result": sample.fields,
            "explainability_info": [_explainability(sample.fields, sample.field_confidence)],
        }
    return {
        "_comment": "Synthetic BDA recording (real output format) generated by `idp samples generate`.",
        "sample": sample.name,
        "input_sha256": hashlib.sha256(body).hexdigest(),
        "standard_output": {
            "metadata": {"number_of_pages": 1},
            "document": {"representation": {"text": text, "markdown": text}},
            "pages": [{"page_index": 0, "representation": {"text": text}}],
        },
        "custom_output": custom,
    }


def generate(out_dir: Path = SAMPLES_DIR) -> list[Path]:
    """Write samples/documents/*.pdf, samples/recordings/*.json and samples/manifest.json."""
    written: list[Path] = []
    (out_dir / "documents").mkdir(parents=True, exist_ok=True)
    (out_dir / "recordings").mkdir(parents=True, exist_ok=True)
    manifest = []
    for sample in SAMPLES:
        body = document_bytes(sample)
        doc_path = out_dir / "documents" / sample.filename
        doc_path.write_bytes(body)
        written.append(doc_path)
        data = recording(sample, body)
        if data is not None:
            rec_path = out_dir / "recordings" / f"{sample.name}.json"
            rec_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(rec_path)
        manifest.append(
            {
                "name": sample.name,
                "file": f"documents/{sample.filename}",
                "declared_type": sample.declared_type,
                "content_type": sample.content_type,
                "expected_status": sample.expected.value,
            }
        )
    manifest_path = out_dir / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    written.append(manifest_path)
    return written
