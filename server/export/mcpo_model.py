"""
The MCPO pipeline the workbench ran, as an Amazon KDD Cup 2024 ShopBench starter-kit model
(models/user_config.py names it). Written by `mcpo export submission`: its settings are
models/mcpo_config.json, its prompt assembly models/mcpo_prompt.py (the engine's, byte for byte).

The evaluator (the starter kit's local_evaluation.py) calls get_batch_size() and then
batch_predict({"prompt": [...]}, is_multiple_choice) with the raw ShopBench prompts and no task
type, so the task type of each prompt is inferred with the workbench's rules (in the config).
"""
import json
import os
from typing import Any, Dict, List

from .base_model import ShopBenchBaseModel
from . import mcpo_prompt as mp

with open(os.path.join(os.path.dirname(__file__), "mcpo_config.json"), encoding="utf-8") as f:
    CONFIG = json.load(f)


def _engine(vllm, model, share):
    v = CONFIG["vllm"]
    return vllm.LLM(
        model,
        tensor_parallel_size=v["tensor_parallel_size"],
        gpu_memory_utilization=v["gpu_memory_utilization"] * share,
        quantization=v["quantization"],
        dtype=v["dtype"],  # float16 by default: T4s have no bfloat16
        **v["engineArgs"],
    )


class MCPOModel(ShopBenchBaseModel):
    def __init__(self):
        import vllm

        self.vllm = vllm
        slm = CONFIG["slm"]
        # A small CoT model is a second engine on the same GPUs: it gets its share of the memory.
        self.llm = _engine(vllm, CONFIG["llm"]["model"], 1.0 - slm["gpuShare"] if slm else 1.0)
        self.slm = _engine(vllm, slm["model"], slm["gpuShare"]) if slm else None
        self.mv = None
        if CONFIG["similarity"]["k"] > 0:
            from sentence_transformers import SentenceTransformer

            self.mv = SentenceTransformer(CONFIG["similarity"]["model"])

    def get_batch_size(self) -> int:
        return CONFIG["batchSize"]

    def _generate(self, engine, endpoint, prompts, sampling, extra):
        """One vLLM call, sent as the run sent it: raw text, or one chat message (the chat template
        vLLM's OpenAI server applies to /v1/chat/completions)."""
        if not prompts:
            return []
        if endpoint["mode"] == "chat":
            tokenizer = engine.get_tokenizer()
            prompts = [tokenizer.apply_chat_template([{"role": "user", "content": p}], tokenize=False,
                                                     add_generation_prompt=True) for p in prompts]
        params = self.vllm.SamplingParams(n=1, temperature=sampling["temperature"], top_p=sampling["top_p"],
                                          seed=sampling.get("seed"), max_tokens=sampling["max_tokens"],
                                          skip_special_tokens=True, **extra)
        outputs = engine.generate(prompts, params, use_tqdm=False)
        return [o.outputs[0].text for o in outputs]

    def _cots(self, prompts, types):
        cot = CONFIG["cot"]
        out = [None] * len(prompts)
        if cot["mode"] == "off":
            return out
        wanted = [i for i, t in enumerate(types) if t in cot["taskTypes"]]
        self_cot = cot["mode"] == "self"
        engine, endpoint = (self.llm, CONFIG["llm"]) if self_cot else (self.slm, CONFIG["slm"])
        extra = CONFIG["extraSampling"] if self_cot else {}
        # Each question's CoT call uses its task type's seed, as the engine's does.
        for task_type in sorted(set(types[i] for i in wanted)):
            idx = [i for i in wanted if types[i] == task_type]
            sampling = {"temperature": cot["temperature"], "top_p": cot["topP"], "max_tokens": cot["maxTokens"],
                        "seed": CONFIG["answerSampling"][task_type].get("seed")}
            requests = [cot["request"].replace("{question}", mp.question_without_cue(prompts[i])) for i in idx]
            for i, text in zip(idx, self._generate(engine, endpoint, requests, sampling, extra)):
                out[i] = mp._trim(text)
        return out

    def _query_prompt(self):
        """As the engine's queryPromptText: 'model' = the model's "query" prompt, else its default."""
        choice = CONFIG["similarity"]["queryPrompt"]
        if isinstance(choice, dict):
            return choice["text"]
        if choice == "none":
            return None
        prompts = getattr(self.mv, "prompts", None) or {}
        default = getattr(self.mv, "default_prompt_name", None)
        return prompts.get("query", prompts.get(default) if default else None)

    def _ranked_lines(self, prompts, types):
        sim = CONFIG["similarity"]
        out = [None] * len(prompts)
        if self.mv is None:
            return out
        query_prompt = self._query_prompt()
        for i, (prompt, task_type) in enumerate(zip(prompts, types)):
            split = mp.split_question(prompt) if task_type in sim["taskTypes"] else None
            if split is None:
                continue
            body, options = split
            # The body is the query side (with M_V's query prompt), the options the documents.
            query = self.mv.encode([body], prompt=query_prompt) if query_prompt is not None else self.mv.encode([body])
            docs = self.mv.encode([o["text"] for o in options])
            out[i] = mp.rank_option_lines(options, [_similarity(query[0], d, sim["score"]) for d in docs])
        return out

    def task_types(self, prompts: List[str], is_multiple_choice: bool) -> List[str]:
        return [mp.infer_task_type(p, CONFIG["taskTypeRules"], bool(is_multiple_choice)) for p in prompts]

    def final_prompts(self, prompts: List[str], is_multiple_choice: bool):
        """The final prompts and the inferred task types."""
        types = self.task_types(prompts, is_multiple_choice)
        cots = self._cots(prompts, types)
        ranked = self._ranked_lines(prompts, types)
        sim, layout = CONFIG["similarity"], CONFIG["cot"]["layout"]
        return [mp.final_prompt(p, t, CONFIG["templates"], CONFIG["parts"], c, r, sim["k"], layout, sim["wording"])
                for p, t, c, r in zip(prompts, types, cots, ranked)], types

    def batch_predict(self, batch: Dict[str, Any], is_multiple_choice: bool) -> List[str]:
        finals, types = self.final_prompts(batch["prompt"], is_multiple_choice)
        answers = [None] * len(finals)
        # One vLLM call per task type in the batch: each has its own answer sampling.
        for task_type in sorted(set(types)):
            idx = [i for i, t in enumerate(types) if t == task_type]
            texts = self._generate(self.llm, CONFIG["llm"], [finals[i] for i in idx],
                                   CONFIG["answerSampling"][task_type], CONFIG["extraSampling"])
            for i, text in zip(idx, texts):
                answers[i] = text
        return answers


def _similarity(a, b, score):
    dot = float(sum(float(x) * float(y) for x, y in zip(a, b)))
    if score == "dot":
        return dot
    na = sum(float(x) * float(x) for x in a) ** 0.5
    nb = sum(float(y) * float(y) for y in b) ** 0.5
    return 0.0 if na == 0 or nb == 0 else dot / (na * nb)
