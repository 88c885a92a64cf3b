"""Web-search retrievers against a raw httpx POST to ``/api/web`` + ``json()`` (issue 5).

All three send the same request body (the retrievers' defaults: linkup, standard depth,
``searchResults``) to the same emulator process. The retrievers go through their frameworks'
``invoke`` / ``retrieve`` machinery and build ``Document`` / ``NodeWithScore`` objects.
"""

from __future__ import annotations

import json

import httpx

from ._harness import FINE_REPEATS, EmulatorProcess, Result, Table, interleaved, median_time

KEY = "bench-key"
QUERY = "latest LangChain release"
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json", "Accept": "application/json"}
BODY = {"query": QUERY, "provider": "linkup", "depth": "standard", "outputType": "searchResults"}


def run(table: Table, number: int = 50) -> None:
    from nanogpt_integrations.langchain import NanoGPTWebSearchRetriever as LangChainRetriever
    from nanogpt_integrations.llama_index import NanoGPTWebSearchRetriever as LlamaIndexRetriever

    with EmulatorProcess() as emulator:
        base_url = emulator.base_url
        url = base_url[: base_url.rindex("/v1")] + "/web"
        raw = httpx.Client()
        body = json.dumps(BODY).encode()
        lc = LangChainRetriever(api_key=KEY, base_url=base_url)
        li = LlamaIndexRetriever(api_key=KEY, api_base=base_url)

        def raw_call() -> object:
            return raw.post(url, content=body, headers=HEADERS).json()

        results = len(raw_call()["data"])
        assert len(lc.invoke(QUERY)) == len(li.retrieve(QUERY)) == results, results
        # One round of ``number`` calls per turn, FINE_REPEATS turns each (see the harness).
        best = interleaved(
            {
                "raw": lambda: median_time(raw_call, number=number, rounds=1),
                "lc": lambda: median_time(lambda: lc.invoke(QUERY), number=number, rounds=1),
                "li": lambda: median_time(lambda: li.retrieve(QUERY), number=number, rounds=1),
            },
            repeats=FINE_REPEATS,
        )
        raw.close()
    group = f"web search retriever ({results} results)"
    table.add(Result(group, "raw httpx POST /api/web + json()", best["raw"], "s", best["raw"]))
    table.add(Result(group, "LangChain retriever.invoke", best["lc"], "s", best["raw"], "≤ 1.2x"))
    table.add(Result(group, "LlamaIndex retriever.retrieve", best["li"], "s", best["raw"], "≤ 1.5x"))
