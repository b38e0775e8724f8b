"""Optional LLM phrasing. Any LangChain chat model may rewrite the extractive answer, but only with
the evidence given: a guard checks that every number in its text appears in the evidence or the
computation, and falls back to the extractive answer otherwise.

    llm = make_chat_model(settings)          # BUDGETQA_LLM=openai:gpt-4o-mini / ollama:qwen2.5
    answer = phrase_with_llm(llm, answer)
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from budgetqa.models import Answer
from budgetqa.settings import Settings

SYSTEM = ("你是预算公开文件问答助手。只能根据给出的证据改写答案，使其通顺、简洁。"
          "不得加入证据中没有的任何数字、事实或推测；数字必须与证据完全一致。")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def make_chat_model(settings: Settings) -> BaseChatModel:
    """A chat model from the setting 'openai:<model>' (any OpenAI-compatible endpoint) or
    'ollama:<model>'. The provider package must be installed (langchain-openai / langchain-ollama)."""
    provider, _, model = (settings.llm or "").partition(":")
    if provider == "openai":
        from langchain_openai import ChatOpenAI  # type: ignore[import-not-found]

        return ChatOpenAI(model=model, base_url=settings.llm_base_url, temperature=0)
    if provider == "ollama":
        from langchain_ollama import ChatOllama  # type: ignore[import-not-found]

        return ChatOllama(model=model, base_url=settings.llm_base_url or "http://127.0.0.1:11434", temperature=0)
    raise ValueError(f"unknown LLM setting '{settings.llm}': use 'openai:<model>' or 'ollama:<model>'")


def _numbers(text: str) -> set[Decimal]:
    out = set()
    for raw in _NUMBER.findall(text):
        try:
            out.add(Decimal(raw.replace(",", "")).normalize())
        except InvalidOperation:
            continue
    return out


def evidence_text(answer: Answer) -> str:
    parts = [answer.answer, answer.computation or ""]
    for c in answer.citations:
        parts += [c.document, str(c.page), c.table or "", c.row or "", c.column or "", c.snippet or ""]
    return "\n".join(parts)


def numbers_supported(text: str, evidence: str) -> bool:
    """Every number in `text` occurs in `evidence` (compared as decimals: 867.50 == 867.5)."""
    return _numbers(text) <= _numbers(evidence)


def phrase_with_llm(llm: BaseChatModel, answer: Answer) -> Answer:
    """Let the LLM phrase the answer; keep the extractive one if it adds a number or fails."""
    evidence = evidence_text(answer)
    prompt = f"问题：{answer.question}\n证据与答案：\n{evidence}\n请用一两句话回答问题。"
    try:
        reply = llm.invoke([SystemMessage(content=SYSTEM), HumanMessage(content=prompt)])
    except Exception:  # an unreachable LLM must not cost the user the answer
        return answer
    text = str(reply.content).strip()
    name = getattr(llm, "model_name", None) or getattr(llm, "model", None) or type(llm).__name__
    if not text or not numbers_supported(text, evidence):
        return replace(answer, llm=f"{name}（改写未通过数字校验，已使用原文答案）")
    return replace(answer, answer=text, llm=str(name))
