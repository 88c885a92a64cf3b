"""`nanogpt-emulator` / `python -m nanogpt_integrations.testing`: run the emulator in the foreground
until Ctrl-C, or (`--print-env`) print the shell exports that point a client at a running one.

Three lines from a fresh shell to an offline call::

    nanogpt-emulator &
    eval "$(nanogpt-emulator --print-env)"
    python -c "from nanogpt_integrations.langchain import ChatNanoGPT; print(ChatNanoGPT(model='openai/gpt-4o-mini').invoke('Hi').content)"
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

from .emulator import NanoGPTEmulator

#: A fixed default port, so the exports are the same every time (`--port 0` picks a free one).
DEFAULT_PORT = 8765
#: The key `--print-env` exports when the emulator accepts any key (it is not a secret).
DEFAULT_KEY = "emulator-key"
_SERVER_HEADER = "NanoGPTEmulator"


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="nanogpt-emulator",
        description="Run a local NanoGPT API emulator, or print the variables that point a client at one.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0 picks a free port"
    )
    parser.add_argument("--api-key", default=None, help="accept only this key (default: any non-empty key)")
    parser.add_argument(
        "--accept-any-model",
        action="store_true",
        help="serve model ids outside the emulator's catalogue instead of answering 404 model_not_found",
    )
    parser.add_argument(
        "--print-env",
        action="store_true",
        help="print `export NANOGPT_BASE_URL=... NANOGPT_API_KEY=...` for the emulator running on "
        "--host/--port (waiting up to --wait seconds for it) and exit; start nothing",
    )
    parser.add_argument("--shell", choices=("sh", "powershell"), default="sh", help="syntax of --print-env")
    parser.add_argument("--wait", type=float, default=5.0, help="seconds --print-env waits (default 5)")
    return parser


def _base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/api/v1"


def env_lines(base_url: str, api_key: str | None, shell: str = "sh") -> list[str]:
    """The lines that set `NANOGPT_BASE_URL` and `NANOGPT_API_KEY` in `shell`."""
    values = {"NANOGPT_BASE_URL": base_url, "NANOGPT_API_KEY": api_key or DEFAULT_KEY}
    if shell == "powershell":
        return [f'$env:{name} = "{value}"' for name, value in values.items()]
    return [f"export {name}={value}" for name, value in values.items()]


def _answers(base_url: str) -> bool:
    """Whether a NanoGPT emulator serves `GET {base_url}/models`."""
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=1.0) as response:
            return str(response.headers.get("Server", "")).startswith(_SERVER_HEADER)
    except (OSError, urllib.error.URLError, ValueError):
        return False


def print_env(host: str, port: int, api_key: str | None, shell: str, wait: float) -> int:
    """Print the exports once an emulator answers on host:port (0), else say what to do (1)."""
    base_url = _base_url(host, port)
    deadline = time.monotonic() + max(wait, 0.0)
    while not _answers(base_url):
        if time.monotonic() >= deadline:
            print(
                f"nanogpt-emulator: no emulator answers at {base_url}; start one first "
                f"(`nanogpt-emulator --port {port} &`), or pass the --host/--port it runs on.",
                file=sys.stderr,
            )
            return 1
        time.sleep(0.1)
    print("\n".join(env_lines(base_url, api_key, shell)), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C (or SIGTERM); the first stdout line is the base URL."""
    args = build_parser().parse_args(argv)
    if args.print_env:
        return print_env(args.host, args.port, args.api_key, args.shell, args.wait)
    emulator = NanoGPTEmulator(
        host=args.host, port=args.port, api_key=args.api_key, accept_any_model=args.accept_any_model
    )
    done = threading.Event()
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C / SIGTERM just end the wait, wherever they arrive.
        signal.signal(signal.SIGINT, lambda *_: done.set())
        signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        try:
            emulator.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            print(
                f"nanogpt-emulator: port {args.port} on {args.host} is in use (an emulator already running "
                "there? `nanogpt-emulator --print-env` prints its variables); choose another with --port, "
                "or --port 0 for any free port.",
                file=sys.stderr,
            )
            return 2
        print(emulator.base_url, flush=True)
        hint = "\n".join(f"  {line}" for line in env_lines(emulator.base_url, args.api_key))
        print(
            f"NanoGPT emulator running; Ctrl-C to stop. Point a client at it:\n{hint}",
            file=sys.stderr,
            flush=True,
        )
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
