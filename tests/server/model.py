# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""The model catalogue (GET /models) and the deterministic built-in model.

The model's rule (README.md, "The deterministic model"): the answer is
"echo: " + the last user message, repeated (joined by " ") until it has at
least N code points, cut into exactly N consecutive pieces of len // N code
points, the last taking the remainder. Reasoning models first stream
"thinking: " + message by the same rule.
"""

TEXT_TYPES = ("text", "image", "embedding", "tts", "asr", "upscale", "inpaint", "video", "all")


class Model:
    def __init__(self, model_id, name, mtype="text", tee=False, e2ee=False, reasoning=False):
        self.id = model_id
        self.name = name
        self.type = mtype
        self.tee = tee or e2ee
        self.e2ee = e2ee
        self.reasoning = reasoning

    def entry(self):
        """The /models list entry, Venice's shape (PROTOCOL.md section 1)."""
        spec = {"name": self.name, "modelSource": "p11tee reference server (TEST)",
                "offline": False, "beta": False, "traits": [],
                "pricing": {"input": {"usd": 0.0, "vcu": 0.0}, "output": {"usd": 0.0, "vcu": 0.0}}}
        if self.type == "text":
            spec["availableContextTokens"] = 131072
            spec["capabilities"] = {
                "supportsTeeAttestation": self.tee, "supportsE2EE": self.e2ee,
                "supportsFunctionCalling": not self.e2ee, "supportsReasoning": self.reasoning,
                "supportsResponseSchema": not self.e2ee, "supportsVision": False,
                "supportsWebSearch": not self.e2ee, "supportsLogProbs": False,
                "optimizedForCode": False, "quantization": "fp8"}
        return {"id": self.id, "object": "model", "type": self.type, "created": 1735689600,
                "owned_by": "venice.ai", "model_spec": spec}


CATALOGUE = (
    Model("tee-llama-3-3-70b", "Llama 3.3 70B (TEE, reference)", tee=True),
    Model("e2ee-qwen3-5-122b-a10b", "Qwen3.5 122B A10B (E2EE, reference)", e2ee=True),
    Model("e2ee-qwen3-30b-thinking", "Qwen3 30B Thinking (E2EE reasoning, reference)",
          e2ee=True, reasoning=True),
    Model("llama-3.2-3b", "Llama 3.2 3B (plain, reference)"),
    Model("p11tee-test-image", "Image model (reference)", mtype="image"),
)
MODELS = {m.id: m for m in CATALOGUE}


def listing(mtype, e2ee_off=False):
    """The /models body for ?type=mtype (None: text only). e2ee_off: the
    "e2ee-flag-off" fault, a gateway that denies E2EE to lure a client into
    sending in the clear."""
    wanted = mtype or "text"
    data = [m.entry() for m in CATALOGUE if wanted in ("all", m.type)]
    if e2ee_off:
        for entry in data:
            caps = entry.get("model_spec", {}).get("capabilities")
            if caps is not None:
                caps["supportsE2EE"] = False
    return {"object": "list", "data": data}


def pieces(base, n):
    """base repeated to >= n code points, then n pieces of len // n (last: the rest)."""
    text = base
    while len(text) < n:
        text = text + " " + base
    size = len(text) // n
    return [text[i * size:(i + 1) * size] for i in range(n - 1)] + [text[(n - 1) * size:]]


def answer(user_text, n, reasoning=False, choice=0):
    """(reasoning pieces or [], content pieces) for the last user message; choice i > 0
    (a request's n > 1) answers "echo#i: " instead of "echo: "."""
    tag = ": " if choice == 0 else "#%d: " % choice
    thinking = pieces("thinking" + tag + user_text, n) if reasoning else []
    return thinking, pieces("echo" + tag + user_text, n)


def usage(contents, completion_pieces):
    """Token counts: words (whitespace-separated) of the prompt, pieces of the answer."""
    prompt = sum(len(c.split()) for c in contents)
    return {"prompt_tokens": prompt, "completion_tokens": completion_pieces,
            "total_tokens": prompt + completion_pieces}
