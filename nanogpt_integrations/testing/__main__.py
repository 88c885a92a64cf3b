"""`python -m nanogpt_integrations.testing`: run the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .emulator import NanoGPTEmulator


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C (or SIGTERM); the first stdout line is the base URL."""
    parser = argparse.ArgumentParser(prog="nanogpt-emulator", description="Run a local NanoGPT API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", default=None, help="accept only this key (default: any non-empty key)")
    args = parser.parse_args(argv)
    emulator = NanoGPTEmulator(host=args.host, port=args.port, api_key=args.api_key)
    done = threading.Event()
    if threading.current_thread() is threading.main_thread():
        # Ctrl-C / SIGTERM just end the wait, wherever they arrive.
        signal.signal(signal.SIGINT, lambda *_: done.set())
        signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        emulator.start()
        print(emulator.base_url, flush=True)
        print("NanoGPT emulator running; Ctrl-C to stop.", file=sys.stderr, flush=True)
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
