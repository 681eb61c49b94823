"""The real SDKs against the simulated wire protocols: answers, citations, usage and error mapping."""

from __future__ import annotations

import pytest

from outrank.config import PlatformConfig
from outrank.demo.simulator import Fault, SimulatorServer
from outrank.errors import ProviderError
from outrank.providers import Location, build_provider

MODELS = {
    "chatgpt": "gpt-5.4-mini",
    "claude": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash",
    "perplexity": "perplexity/sonar",
}
QUESTION = "Who is the best dentist in Newcastle NSW?"


def provider(simulator: SimulatorServer, name: str, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    config = PlatformConfig(
        name=name,
        api_key=f"{name}-secret-key-987654",
        model=MODELS[name],
        base_url=simulator.base_urls()[name],
        timeout=timeout,
    )
    return build_provider(config)


@pytest.mark.parametrize("name", list(MODELS))
def test_each_sdk_gets_text_citations_usage_and_model(simulator: SimulatorServer, name: str) -> None:
    answer = provider(simulator, name).timed_ask(
        QUESTION, location=Location(country="AU", region="NSW", city="Newcastle"), call_id=f"t-{name}-s1"
    )
    assert "**" in answer.text and "Newcastle" in answer.text
    assert answer.model.startswith(MODELS[name])
    assert answer.search_calls == 1
    assert answer.input_tokens > 0 and answer.output_tokens > 0
    assert len(answer.citations) == 3
    for cited in answer.citations:
        assert cited.domain.endswith(".example")
        assert "utm_source" not in cited.url
        assert "vertexaisearch" not in cited.url  # Gemini redirects resolve to the source's domain
    assert simulator.state.count(name, "ask", 200) == 1


@pytest.mark.parametrize("name", list(MODELS))
def test_structured_output_uses_the_native_json_schema_knob(simulator: SimulatorServer, name: str) -> None:
    schema = {
        "type": "object",
        "properties": {"questions": {"type": "array", "items": {"type": "string"}}},
        "required": ["questions"],
        "additionalProperties": False,
    }
    reply = provider(simulator, name).structured(system="s", prompt="p", name="question_research", schema=schema)
    assert '"questions"' in reply.text and reply.model.startswith(MODELS[name]) and reply.input_tokens > 0
    assert simulator.state.count(name, "structured", 200) == 1


@pytest.mark.parametrize("name", list(MODELS))
def test_429_is_transient_with_retry_after_and_sdk_retries_are_off(simulator: SimulatorServer, name: str) -> None:
    simulator.state.faults.append(Fault(name, status=429, retry_after=2))
    with pytest.raises(ProviderError) as caught:
        provider(simulator, name).ask(QUESTION, location=None, call_id="x")
    assert caught.value.transient and caught.value.status == 429
    if name != "gemini":  # Google sends the hint in the body, not a header; this fault sets only the header
        assert caught.value.retry_after == 2
    assert simulator.state.count(name) == 1  # exactly one HTTP request: the SDK did not retry on its own


@pytest.mark.parametrize("name", list(MODELS))
def test_500_is_transient(simulator: SimulatorServer, name: str) -> None:
    simulator.state.faults.append(Fault(name, status=500))
    with pytest.raises(ProviderError) as caught:
        provider(simulator, name).ask(QUESTION, location=None, call_id="x")
    assert caught.value.transient and caught.value.status == 500
    assert simulator.state.count(name) == 1


@pytest.mark.parametrize("name", list(MODELS))
def test_404_fails_fast_and_says_what_to_fix(simulator: SimulatorServer, name: str) -> None:
    simulator.state.faults.append(Fault(name, status=404, message="model not found"))
    with pytest.raises(ProviderError) as caught:
        provider(simulator, name).ask(QUESTION, location=None, call_id="x")
    assert not caught.value.transient
    assert f"OUTRANK_{name.upper()}_MODEL" in str(caught.value)


def test_anthropic_529_overloaded_is_transient(simulator: SimulatorServer) -> None:
    simulator.state.faults.append(Fault("claude", status=529))
    with pytest.raises(ProviderError) as caught:
        provider(simulator, "claude").ask(QUESTION, location=None, call_id="x")
    assert caught.value.transient and caught.value.status == 529


@pytest.mark.parametrize("name", list(MODELS))
def test_a_hung_call_times_out_as_a_transient_error(simulator: SimulatorServer, name: str) -> None:
    simulator.state.faults.append(Fault(name, hang=3.0, status=500))
    with pytest.raises(ProviderError) as caught:
        provider(simulator, name, timeout=0.5).ask(QUESTION, location=None, call_id="x")
    assert caught.value.transient and caught.value.status is None
    assert "timed out" in str(caught.value)


def test_a_rejected_key_never_appears_in_the_error(simulator: SimulatorServer) -> None:
    simulator.state.faults.append(
        Fault("chatgpt", status=401, message="Incorrect API key provided: chatgpt-secret-key-987654")
    )
    with pytest.raises(ProviderError) as caught:
        provider(simulator, "chatgpt").ask(QUESTION, location=None, call_id="x")
    assert "chatgpt-secret-key-987654" not in str(caught.value)
    assert "key was rejected" in str(caught.value)
