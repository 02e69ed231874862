"""How an `idp` command stops on bad input or a failed step: one line on stderr, then its exit code
(0 ok, 1 a check or step failed, 2 bad usage) - the commands' one way to say it. And how it stops when
told to: Ctrl-C (130) or SIGTERM (143), every cleanup running on the way out."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType

import typer


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` and return the Exit to raise (`raise fail(...)`)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cancelled CI job, `timeout`, `kill`). Its default action ends the process at once and
    leaves what the command started behind - Terraform and its provider in their own process group, the
    temporary stack folder; raised instead, it stops the command the way Ctrl-C does."""


@dataclass
class Stop:
    """What stopped the running command, if a signal did, and whether the command said so itself."""

    signal: int | None = None
    said: bool = False

    @property
    def word(self) -> str:
        return "terminated" if self.signal == signal.SIGTERM else "interrupted"


_running = Stop()  # the command now running (stop_on_signals), or a command run in-process without it


def say_stopped(stop: BaseException, detail: str) -> int:
    """A command's own line on how it stopped (`<interrupted|terminated>: detail`), and its exit code."""
    _running.signal = signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT  # as stop_on_signals raises
    _running.said = True
    typer.echo(f"{_running.word}: {detail}", err=True)
    return 128 + _running.signal


@contextlib.contextmanager
def stop_on_signals() -> Iterator[Stop]:
    """While the command runs: SIGINT raises KeyboardInterrupt and SIGTERM Terminated, the first of them
    only - the cleanup it sets off is not cut short by the next (a cancelled GitHub job gets SIGINT, then
    SIGTERM 7.5 s later). The previous handlers come back after (an in-process caller keeps its own).
    Yields what stopped the command: typer turns any KeyboardInterrupt into exit 130, whatever the signal."""
    global _running  # noqa: PLW0603 - one command runs per process
    _running = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield _running  # signals reach the main thread only
        return
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.getsignal(number) for number in signals}

    def stop(number: int, _: FrameType | None) -> None:
        for each in signals:
            signal.signal(each, signal.SIG_IGN)
        _running.signal = number
        raise Terminated if number == signal.SIGTERM else KeyboardInterrupt

    for number in signals:
        signal.signal(number, stop)
    try:
        yield _running
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
