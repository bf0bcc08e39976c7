"""Regenerate tests/vectors/scorer_vectors.json: `python tests/gen_vectors.py`.

The vectors pin the default configuration's results (computed with the pure-Python twin) so
that pytest (both backends) and `cargo test` (the Rust core alone) check the same cases.
Rerun after changing the bundled keywords or scoring defaults, and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

from smart_llm_router._pyscorer import PyScorer
from smart_llm_router.scoring_config import ScoringConfig
from smart_llm_router.spec import compile_spec

PATH = Path(__file__).parent / "vectors" / "scorer_vectors.json"

PROMPTS: list[tuple[str, str | None]] = [
    ("", None),
    ("hi", None),
    ("what is the capital of france", None),
    ("Prove that sqrt(2) is irrational step by step", None),
    ("design a high-availability microservices architecture", None),
    ("Please improve and approve this letter about classic history", None),
    ("Our data pipeline returns undefined", None),
    ("theorem theorem theorem", None),
    ("write this formally", None),
    ("First, clone the repo. Then run the tests. Finally open a pull request.", None),
    ("Do this:\n1. install\n2. configure\n3. deploy", None),
    ("Which is a prime?\nA) 4\nB) 6\nC) 7\nD) 9", None),
    ("If 3 pumps fill a tank in 12 hours, how long do 4 pumps take?", None),
    ("```python\ndef f(x):\n    return x * 2\n```\nWhy does this fail?", None),
    ("hi", "Respond only with valid JSON following this schema."),
    ("请一步一步证明根号2是无理数", None),
    ("用Python实现一个快速排序算法，并解释时间复杂度", None),
    ("この定理を証明してください。まず補題を示し、次に結論を導いてください。", None),
    ("Докажите теорему Пифагора шаг за шагом", None),
    ("Entwirf eine hochverfügbare Microservice-Architektur mit Kubernetes", None),
    ("Explica por qué el algoritmo de Dijkstra no funciona con pesos negativos", None),
    ("Escreva um poema sobre o mar e a saudade", None),
    ("이 알고리즘의 시간 복잡도를 단계별로 증명하세요", None),
    ("اشرح لماذا تعمل خوارزمية البحث الثنائي في وقت لوغاريتمي", None),
    ("ΣΊΣΥΦΟΣ İstanbul ẞtraße ＡＢＣ", None),
    ("\x00\x01 emoji 😀🎉 and a lone \ufffd", None),
    ("first " * 500, None),
    ("Step 1: refactor the parser. " * 40, None),
    # The structural rules, one prompt each (and a few signals at their edges).
    ("solve x^2 - 5x + 6 = 0", None),
    ("コインを5回投げて、表がちょうど3回出る確率は？", None),
    ("Ana, Bea and Carla each own a pet. Ana has no cat. Who owns the cat?", None),
    ("Петя, Вася и Коля — врач, инженер и учитель. Вася младше инженера, врач старше Пети. Кто есть кто?", None),
    ("Give a counterexample to: every continuous function is differentiable.", None),
    ("refactor this module into smaller services", None),
    (
        "Our school district wants to give 40,000 students a tablet. Put together the whole plan: "
        "devices, a budget by year, teacher training, repairs and how we judge success.",
        None,
    ),
    (
        "Our checkout service times out under load since Tuesday. Latency doubled and errors spike "
        "at noon. What could be causing it?",
        None,
    ),
    (
        "We moved our shop to a new town last spring, and sales have been slow since then. Rent is twice "
        "as high here, and the old customers stopped coming. Three of our five staff live far away now, "
        "so mornings are hard to cover. We still have savings for about a year, but not much more. I keep "
        "thinking about it at night and I would like to hear how you see it.",
        None,
    ),
    ("把上面那封邮件翻成英文", None),
    ("I have 2 kids aged 5 and 8, what are good board games for them?", None),
    ("Kubernetes 是什么？", None),
    ("Lena ist älter als Marc, Marc ist älter als Jan und Sophie ist jünger als Jan. Wer ist am jüngsten?", None),
    ("红盒子比蓝盒子重，绿盒子比蓝盒子轻。哪个最轻？", None),
    ("My laptop is lighter than yours but slower than it. Which should I take?", None),
    ("How does a heat pump work, briefly?", None),
    ("インフレとは何か、手短に教えてください。", None),
    ("Erklär mir kurz den Unterschied zwischen Aktien und ETFs.", None),
    ("Which of the following is the remainder of 2^100 divided by 7? A) 1 B) 2 C) 4 D) 6", None),
    ("n! mod 7 = ?\n(a) 1\nb. 2\nC: 3  ア 1 イ 2 甲 3 乙 4 ①② 가) 나) أ) ب) а) б) 1999, 1.5^2 √x ≡", None),
    ("How many legs does a spider have? A) 6 B) 8 C) 10", None),
    ("Nine pearls look alike but one is lighter. Using a balance only twice, how do you find it?", None),
    ("Wenn Anna größer ist als Ben und Ben größer als Clara, wer ist die Kleinste?", None),
    ("حارسان أحدهما يكذب دائما والآخر يصدق دائما. ماذا تسأل؟", None),
    ("почему кошки всегда приземляются на лапы?", None),
    ("debug the following function, it returns None sometimes", None),
    ("成果物：①要件 ②設計 ③テスト。1945年8月15日、500万人、1,530円。몇개?", None),
    ("Deliver: 1) spec 2) code 3) tests\n- a\n(2) b\nScenario 1 | x = 2.00; f'(x) != 0, n/2 <= 3 - y", None),
    # Notation read from the text, a constrained puzzle, a quantity with its reasoning, a rework
    # at scale, advice after a situation, short plain questions (and edges: "logs", 10^6, 2^32).
    ("why is building a heap from an unsorted array linear time and not n log n", None),
    ("Which is bigger, 2^100 or 10^30? Try it without a calculator.", None),
    ("The op logs grow 10^6 lines a day; is it log2 n or log(n)? 100! or 2^100 mod 7", None),
    ("IPv4 has 2^32 addresses, why did we run out?", None),
    (
        "Можно ли обойти все мосты города, пройдя по каждому ровно один раз, если к одному острову ведут три моста?",
        None,
    ),
    ("Roughly how many piano tuners work in Chicago? Walk me through the estimate.", None),
    ("Our game has 2 million daily players and matchmaking lags at peak. Port it to a setup that scales.", None),
    ("Mi perro no quiere comer desde ayer pero bebe agua y juega normal. ¿Debería preocuparme?", None),
    ("makes sense, thanks. completely different thing: any tips for falling asleep?", None),
    ("does my iphone use machine learning for face id?", None),
    ("我家的路由器晚上经常断网，重启之后就好，可能是什么原因？", None),
    (
        "우리 쇼핑몰을 다시 만들려고 해. 회원, 주문, 결제, 배송 추적이 필요하고 하루 주문이 10만 건이야. 어떤 구조가 좋을까?",
        None,
    ),
    # An open ask in the conditional (Spanish -arías/-irías, Portuguese "você" + -aria/-iria), and
    # forms that are none (librerías, ¿podrías?, você poderia) or at the text's edges.
    (
        "Tenemos una app de reservas hecha en Django y la base de datos ya no aguanta la carga. ¿Cómo la "
        "reorganizarías para que escale?",
        None,
    ),
    (
        "Nosso e-commerce roda num monólito Rails que trava nas promoções. Como você estruturaria a migração? "
        "E vocês dividiriam",
        None,
    ),
    ("Uso varias librerías de Python. ¿Me podrías decir cuál es mejor? Você poderia? você cria", None),
    ("ías rías. arías? você", None),
    # The short plain question, and its look-alikes: a comparison, a judgement, a how-to.
    ("Телеграм использует шифрование в обычных чатах?", None),
    ("Is Rust faster than Go for web servers?", None),
    ("Is Kubernetes overkill for a small startup?", None),
    ("Wie funktioniert ein Transformer-Modell?", None),
    ("SQLite로 웹 서비스 운영해도 돼?", None),
    # 计算 / 計算 as an imperative, not inside 计算机 / 計算機 (computer, calculator).
    ("第一台电子计算机是哪一年发明的？帮我计算一下这个月的电费。計算機と電卓、計算して", None),
]


def main() -> None:
    spec = compile_spec(ScoringConfig.load())
    scorer = PyScorer(spec)
    labels = [w for name in spec["keywords"] for w in spec["keywords"][name]]
    cases = []
    for prompt, system in PROMPTS:
        result = scorer.score(prompt, system)
        raw, matched, features = result.unpack()
        cases.append(
            {
                "prompt": prompt,
                "system": system,
                "tier": result.tier,
                "score": result.score,
                "confidence": result.confidence,
                "ambiguous": result.ambiguous,
                "tokens": result.tokens,
                "rule": result.rule,
                "word_problem": result.word_problem,
                "raw": raw,
                "matched": matched,
                "features": list(features),
                "matched_keywords": [labels[i] for i in matched],
            }
        )
    PATH.parent.mkdir(exist_ok=True)
    PATH.write_text(json.dumps({"spec": spec, "cases": cases}, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {len(cases)} cases to {PATH}")


if __name__ == "__main__":
    main()
