"""How a runnable built from ChatNanoGPT is taken apart for a batch job (no I/O): bound kwargs
(outer binding wins, as in invoke), configs, steps before and after the model; the bindings the
model creates keep ``batch_submit`` and serialise as ``RunnableBinding``."""

from __future__ import annotations

import pytest
from langchain_core.load import dumpd, load
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableBinding, RunnableLambda
from pydantic import BaseModel

from nanogpt_integrations.langchain import ChatNanoGPT
from nanogpt_integrations.langchain._batch import NanoGPTBinding, plan_of


class Answer(BaseModel):
    text: str


@pytest.fixture
def llm() -> ChatNanoGPT:
    return ChatNanoGPT(model="openai/gpt-4o-mini", api_key="k", max_tokens=8)


def test_bindings_merge_outer_last_and_keep_their_config(llm: ChatNanoGPT) -> None:
    runnable = llm.bind(temperature=0.1, seed=1).with_config(tags=["inner"]).bind(temperature=0.7)
    plan = plan_of(runnable)
    assert plan.model is llm and plan.kwargs == {"temperature": 0.7, "seed": 1}
    assert sorted(plan.config({"tags": ["call"]})["tags"]) == ["call", "inner"]
    assert plan.pre == [] and plan.post == []


def test_sequences_split_around_the_model(llm: ChatNanoGPT) -> None:
    prompt = ChatPromptTemplate.from_messages([("user", "{q}")])
    parser = StrOutputParser()
    plan = plan_of(prompt | llm.bind(stop=["x"]) | parser)
    assert plan.pre == [prompt] and plan.post == [parser] and plan.kwargs == {"stop": ["x"]}
    structured = plan_of(llm.with_structured_output(Answer, include_raw=True))
    assert structured.kwargs["tool_choice"] == {"type": "function", "function": {"name": "Answer"}}
    assert len(structured.post) == 2


def test_what_cannot_be_a_batch_job_is_a_type_error(llm: ChatNanoGPT) -> None:
    with pytest.raises(TypeError, match="RunnableLambda"):
        plan_of(RunnableLambda(lambda x: x))
    with pytest.raises(TypeError, match="bind them to the model"):
        plan_of((ChatPromptTemplate.from_messages([("user", "{q}")]) | llm).bind(temperature=0.1))
    with pytest.raises(TypeError, match="cannot submit RunnableRetry"):
        plan_of(llm.with_retry())


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_the_model_makes_bindings_with_batch_submit_that_serialise_as_runnable_bindings(llm: ChatNanoGPT) -> None:
    for binding in (llm.bind(temperature=0.2), llm.bind_tools([Answer]), llm.with_config(tags=["a"])):
        assert isinstance(binding, NanoGPTBinding) and isinstance(binding, RunnableBinding)
        assert callable(binding.batch_submit) and callable(binding.bind(seed=1).batch_submit)
    dumped = dumpd(llm.bind(temperature=0.2))
    assert dumped["id"] == ["langchain", "schema", "runnable", "RunnableBinding"]
    restored = load(
        dumped,
        secrets_map={"NANOGPT_API_KEY": "k"},
        valid_namespaces=["nanogpt_integrations"],
        allowed_objects=[ChatNanoGPT, RunnableBinding],
    )
    assert type(restored) is RunnableBinding and restored.kwargs == {"temperature": 0.2}
