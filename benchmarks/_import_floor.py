"""The import any LangChain chat-model integration pays: a module that imports ``BaseChatModel``.

``bench_langchain`` imports this module as its floor because ours is imported the same way. Measured
here (Python 3.11, langchain-core 1.8), importing ``BaseChatModel`` from inside a module costs 50–80 ms
more than the same statement run by ``python -c``; the cause was not pinned down (it is not warnings
and not garbage collection), so both floors are shown.
"""

from langchain_core.language_models import BaseChatModel

__all__ = ["BaseChatModel"]
