"""The kernel chapters execute in: this interpreter, this checkout's selfrep, and no noise in the log.

`selfrep run` does not look a kernel up by name: whatever kernels the machine has installed (the
notebooks declare the kernel `selfrep` that `make install` registers, for JupyterLab), a chapter
executes in a kernel started with the interpreter running `selfrep` itself (`SelfrepKernelManager`),
as `python -m selfrep.book.kernel -f CONNECTION_FILE`. That launcher starts an ordinary IPython kernel
(ipykernel's IPKernelApp) whose log drops exactly two expected messages, which a reader of the build
log would take for failures:

  * "Kernel is running over TCP without encryption ...": the kernel listens on localhost, for the
    runner only (ipykernel warns on every start);
  * "KeyboardInterrupt caught in kernel": jupyter_client interrupts every kernel it shuts down
    (KernelManager.shutdown_kernel), and the kernel logs that interrupt as an error when it arrives
    while a message is being handled.

Every other message of the kernel (warnings and errors) still reaches the log.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

KERNEL_NAME = "selfrep"
DISPLAY_NAME = "Python (selfrep)"
EXPECTED_MESSAGES = (
    "Kernel is running over TCP without encryption",
    "KeyboardInterrupt caught in kernel",
)


class ExpectedMessages(logging.Filter):
    """Drops the kernel's log records that start with one of EXPECTED_MESSAGES."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(EXPECTED_MESSAGES)


def kernel_argv() -> list[str]:
    """The command that starts a chapter's kernel: this interpreter, this launcher."""
    return [sys.executable, "-m", "selfrep.book.kernel", "-f", "{connection_file}"]


def kernel_spec() -> Any:
    from jupyter_client.kernelspec import KernelSpec

    return KernelSpec(
        argv=kernel_argv(),
        display_name=DISPLAY_NAME,
        language="python",
        interrupt_mode="signal",
        metadata={"debugger": False},
    )


def kernel_manager_class() -> type:
    """A jupyter_client KernelManager that always starts `kernel_argv()` (never an installed kernelspec)."""
    from jupyter_client.manager import KernelManager

    class SelfrepKernelManager(KernelManager):
        @property
        def kernel_spec(self):  # type: ignore[override]
            if self._kernel_spec is None:
                self._kernel_spec = kernel_spec()
            return self._kernel_spec

    return SelfrepKernelManager


@contextmanager
def kernel_environment(backend_log: Path) -> Iterator[None]:
    """Environment of the chapter's kernel (inherited from this process while it starts):

    * this process's `selfrep` first on PYTHONPATH, and SELFREP_EXPECT_PACKAGE naming it, so that the
      kernel runs the code the cache key hashed (selfrep refuses to import from elsewhere);
    * SELFREP_BACKEND_LOG: where selfrep.kernels records which operator backend ran, and why."""
    import selfrep

    pkg = Path(selfrep.__file__).resolve().parent
    names = ("PYTHONPATH", "SELFREP_EXPECT_PACKAGE", "SELFREP_BACKEND_LOG")
    old = {n: os.environ.get(n) for n in names}
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(pkg.parent), *([old["PYTHONPATH"]] if old["PYTHONPATH"] else [])]
    )
    os.environ["SELFREP_EXPECT_PACKAGE"] = str(pkg)
    os.environ["SELFREP_BACKEND_LOG"] = str(backend_log)
    try:
        yield
    finally:
        for n, v in old.items():
            if v is None:
                os.environ.pop(n, None)
            else:
                os.environ[n] = v


def main() -> None:
    """Start an IPython kernel (as ipykernel_launcher does) whose log drops the EXPECTED_MESSAGES."""
    # the working folder comes back as '' through the kernel's own path setup (as in ipykernel_launcher)
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    from ipykernel.kernelapp import IPKernelApp

    # the logger the kernel application and its kernel write to (traitlets names it after the class)
    logging.getLogger(IPKernelApp.__name__).addFilter(ExpectedMessages())
    IPKernelApp.launch_instance()


if __name__ == "__main__":
    main()
