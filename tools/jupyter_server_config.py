"""Server settings for ``make lab``: kernel websockets without Nagle's algorithm.

jupyter_server leaves Nagle's algorithm on for the kernel websockets. A slider
move's reply is several small messages; with Nagle on, the ones after the first
can wait for the browser's delayed TCP acknowledgement (about 40 ms), which
measured as the p95 of the explorer's key-press-to-new-image latency: 51-56 ms
on a stock server, 31-37 ms with this setting (tools/lab_harness.py,
``python -m benchmarks --only jupyterlab``). Loaded by ``make lab`` with
``--config``; a plain ``jupyter lab`` works the same, only slower per move.

Kernels inherit the server's environment: glibc's heap arenas are capped at two
for them, as ``binder/start`` does on Binder and ``tools/run_notebooks`` for the
kernels it starts (why: ``binder/start``), unless ``MALLOC_ARENA_MAX`` is set already.
"""

import os

os.environ.setdefault("MALLOC_ARENA_MAX", "2")

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection


class NoDelayKernelConnection(ZMQChannelsWebsocketConnection):
    """The standard kernel websocket, with TCP_NODELAY set when it opens."""

    def connect(self):
        self.websocket_handler.set_nodelay(True)
        return super().connect()


# ``c``, the configuration object, is provided by traitlets when jupyter loads this file.
c.ServerApp.kernel_websocket_connection_class = NoDelayKernelConnection  # noqa: F821
