"""A local NanoGPT API emulator for tests, demos, notebooks and benchmarks.

```python
from nanogpt_integrations.testing import NanoGPTEmulator, ChatReply, Fault

with NanoGPTEmulator() as emu:
    emu.script(ChatReply(content="Hi!"))
    emu.inject(Fault.http_status(429, retry_after="1"))
    ...  # point a client at emu.base_url
```
"""

from .emulator import NanoGPTEmulator
from .faults import Envelope, Fault, FaultKind
from .recording import RecordedRequest
from .replies import ChatReply, ToolCallSpec

__all__ = [
    "ChatReply",
    "Envelope",
    "Fault",
    "FaultKind",
    "NanoGPTEmulator",
    "RecordedRequest",
    "ToolCallSpec",
]
