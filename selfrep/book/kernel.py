"""The kernel chapters execute in: this interpreter, this checkout's selfrep, and no noise in the log.

`selfrep run` does not look a kernel up by name: whatever kernels the machine has installed (the
notebooks declare the kernel `selfrep` that `make install` registers, for JupyterLab), a chapter
executes in a kernel started with the interpreter running `selfrep` itself (`SelfrepKernelManager`),
as `python -m selfrep.book.kernel -f CONNECTION_FILE`, and reached over Unix-domain sockets (see
`kernel_manager_class` for why not TCP). That launcher starts an ordinary IPython kernel (ipykernel's
IPKernelApp) whose log drops exactly one expected message, which a reader of the build log would
take for a failure:

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
EXPECTED_MESSAGES = ("KeyboardInterrupt caught in kernel",)


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
    """A jupyter_client KernelManager that always starts `kernel_argv()` (never an installed kernelspec),
    and talks to its kernel over Unix-domain sockets in a folder of its own (`transport="ipc"`).

    Over TCP, jupyter_client picks a kernel's five ports by binding port 0 and closing the socket; the
    kernel binds them a moment later. Two kernels started at once by two processes (the workers of
    `selfrep sweep`, or `selfrep run --jobs 2`) can be handed the same port in that gap: the second
    kernel dies with "Address already in use" and the runner waits 60 s for it ("Kernel didn't
    respond"). Socket files under a fresh `mkdtemp` folder cannot collide, whoever starts kernels."""
    import shutil
    import tempfile

    from jupyter_client.manager import KernelManager
    from jupyter_core.utils import run_sync

    class SelfrepKernelManager(KernelManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.transport = "ipc"
            self._ipc_dir: str | None = None  # made when the kernel starts, removed when it is shut down

        @property
        def kernel_spec(self):  # type: ignore[override]
            if self._kernel_spec is None:
                self._kernel_spec = kernel_spec()
            return self._kernel_spec

        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            if self._ipc_dir is None:
                self._ipc_dir = tempfile.mkdtemp(prefix="selfrep-kernel-")
                # socket files are `<ip>-<n>`: a short path stays within the 107 bytes a socket path may have
                self.ip = os.path.join(self._ipc_dir, "k")
            return await super()._async_pre_start_kernel(**kw)

        pre_start_kernel = run_sync(_async_pre_start_kernel)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart and self._ipc_dir is not None:
                shutil.rmtree(self._ipc_dir, ignore_errors=True)
                self._ipc_dir = None

        cleanup_resources = run_sync(_async_cleanup_resources)

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
