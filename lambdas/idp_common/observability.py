"""Powertools Logger/Tracer/Metrics, one set per function; correlation id = document_id."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

METRICS_NAMESPACE = "IDP"


def tools(service: str) -> tuple[Logger, Tracer, Metrics]:
    return (
        Logger(service=service),
        Tracer(service=service),
        Metrics(namespace=METRICS_NAMESPACE, service=service),
    )
