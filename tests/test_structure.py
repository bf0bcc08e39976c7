"""Structural signals and rules (python/smart_llm_router/_structure.py, rust/structure.rs and
rust/skeleton.rs): signals, rules on both backends, the spec that carries them, switches."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from smart_llm_router import Scorer
from smart_llm_router._backend import native_available, native_module
from smart_llm_router._pyscorer import PyScorer
from smart_llm_router._structure import SETS, Signals, skeleton
from smart_llm_router._text import fold, non_ascii
from smart_llm_router.datafiles import read_bundled
from smart_llm_router.errors import ConfigError
from smart_llm_router.scoring import ScoringConfig, compile_spec
from smart_llm_router.spec import _parse_structure
from smart_llm_router.tables import RULES, STRUCTURE_RULES


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return compile_spec(ScoringConfig.load())


@pytest.fixture(scope="module")
def py(spec: dict[str, Any]) -> PyScorer:
    return PyScorer(spec)


def signals(py: PyScorer, text: str) -> Signals:
    """The signals of ``text``, its structure keywords included."""
    structure = py._structure
    assert structure is not None
    folded = fold(text)
    return structure.signals(text, py._structure_counts(folded, py._scan(folded, False)))


def test_sets_and_rules_are_known(spec: dict[str, Any]) -> None:
    data = read_bundled("structure.yaml")
    assert set(data["sets"]) == set(SETS)
    assert list(spec["structure"]["sets"]) == list(SETS)
    assert RULES[-len(STRUCTURE_RULES) :] == STRUCTURE_RULES


def test_a_keyword_listed_again_is_one_keyword(spec: dict[str, Any]) -> None:
    plans = [forms for forms in spec["structure"]["sets"]["planTerms"] if "plan" in forms]
    assert plans == [["plan"]]  # en, de and es list it: one keyword, counted once
    forty = next(forms for forms in spec["structure"]["sets"]["numberWords"] if forms[0] == "أربعين")
    assert "وأربعين" in forty  # Arabic clitic forms count as the keyword


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["sets"].update(colours={"en": ["red"]}), "unknown keyword set"),
        (lambda d: d["rules"].update(disabled=["maths"]), "disabled"),
        (lambda d: d["rules"].update(long_ask_min_units=-1), "long_ask_min_units"),
        (lambda d: d.pop("arabic_clitics"), "arabic_clitics"),
    ],
)
def test_bad_structure_data_is_a_config_error(edit: Any, message: str) -> None:
    data = read_bundled("structure.yaml")
    edit(data)
    with pytest.raises(ConfigError, match=message):
        _parse_structure(data, "structure.yaml")


def test_skeleton_keeps_positions() -> None:
    text = "x² + 2x = 5。次は？ Schön, 1,530円"
    rest = non_ascii(text)
    sk = skeleton(text, rest)
    assert len(sk) == len(text)
    assert sk.count(b"!") == 2  # 。 and ？
    assert b"0,000" in sk


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("One. Two! Three? Four", "sentences", 4),
        ("第一句。第二句！第三句？", "sentences", 3),
        ("Build an API with auth, search, loans, and a dashboard.", "items", 4),
        ("Requirements:\n- a\n- b\n- c", "items", 3),
        ("成果物 ①要件 ②設計 ③テスト", "items", 3),
        ("Deliver: 1) spec 2) code 3) tests", "items", 3),
        ("Scenario 1 | A. Scenario 2 | B.", "quantities", 0),
        ("it costs 1,530 yen on 1945年8月15日", "quantities", 2),
        ("zwei Äpfel und sechsunddreißig Birnen", "quantities", 2),
        ("三个苹果和五十五个梨", "quantities", 2),
        ("몇개 남았어?", "sets", "quantityAsks"),  # "몇*": a one-character stem
        ("solve x^2 - 5x + 6 = 0", "math", 3),
        ("O(n log n) vs O(1)", "math", 1),
        ("we use C++ and 10^12 records, e-commerce at 120 km/h", "math", 0),
        ("Luis, Marta y Pedro tienen un perro. ¿Quién tiene el gato?", "names", 3),
        ("about 40,000 students", "scale", True),
        ("in 2023 we had 300 users", "scale", False),
        ("in 2023 we had 300 users", "years", 1),
        ("500만 명", "scale", True),
    ],
)
def test_signals(py: PyScorer, text: str, field: str, value: object) -> None:
    sig = signals(py, text)
    if field == "sets":
        assert sig.sets[SETS.index(str(value))] == 1, sig
        return
    got = getattr(sig, field)
    if field == "math" and value:
        assert got >= value, sig  # marks saturate: only "enough" matters
    else:
        assert got == value, sig


def test_names_are_read_in_linear_time(py: PyScorer) -> None:
    """Chains of names are read once (the prototype's regex retried each name of a chain)."""
    chain = "Hi. " + "Ab, " * 50_000 + "Abcdefghijklmnopqrs?"
    started = time.perf_counter()
    assert signals(py, chain).names == 0
    assert time.perf_counter() - started < 10  # about 0.1 s; quadratic, hours


@pytest.mark.parametrize(
    ("prompt", "tier", "rule"),
    [
        # 1. Topic is not task.
        ("what is kubernetes?", "SIMPLE", "definition"),
        ("was ist ein Deadlock", "SIMPLE", "definition"),
        ("что такое машинное обучение?", "SIMPLE", "definition"),
        ("Kubernetes 是什么？", "SIMPLE", "definition"),
        ("What is Terraform and can you write me a module that creates an S3 bucket?", "MEDIUM", None),
        # 2. Work on content the prompt points at.
        ("summarize the attached report", "MEDIUM", None),
        ("把上面那封邮件翻成英文", "MEDIUM", "request"),
        ("debug the following function, it returns None sometimes", "MEDIUM", "small_object"),
        ("refactor this module into smaller services", "COMPLEX", "rework"),
        ("перенеси весь проект с Flask на FastAPI", "COMPLEX", "rework"),
        ("このコードベース全体を TypeScript に移行して", "COMPLEX", "rework"),
        # 3. Reasoning without proof words.
        ("solve x^2 - 5x + 6 = 0", "REASONING", "math"),
        ("Un grifo llena un depósito en 3 horas y otro en 5. ¿Cuánto tardan juntos?", "REASONING", "word_problem"),
        (
            "a tap fills a bathtub in six minutes and the drain empties it in ten. how long until it is full?",
            "REASONING",
            "word_problem",
        ),
        ("Ana, Bea and Carla each own a pet. Ana has no cat. Who owns the cat?", "REASONING", "puzzle"),
        ("Give a counterexample to: every continuous function is differentiable.", "REASONING", "reasoning_ask"),
        ("Who has a winning strategy when both play perfectly at noughts and crosses?", "REASONING", "reasoning_ask"),
        # An argument about a general claim, without numbers or notation; a plain "why" is not one.
        ("Must a knight's tour always exist on a square board? Justify it.", "REASONING", "argument"),
        (
            "Wenn jeder Mann genau die rasiert, die sich nicht selbst rasieren: folgt daraus etwas?",
            "REASONING",
            "argument",
        ),
        ("假设所有的乌鸦都是黑的，能否推出所有黑色的鸟都是乌鸦？", "REASONING", "argument"),
        ("why do cats always land on their feet?", "SIMPLE", None),
        ("write a short opinion piece arguing that every town needs a library", "MEDIUM", None),
        ("justify why our whole service must always retry every request", "MEDIUM", None),
        # Ordering puzzles: a comparison repeated (counted by occurrence) and an ask to pick or order;
        # a comparison of options or an advice question is none.
        (
            "Ben is heavier than Carl but lighter than Dan, and Eve is heavier than Dan. Order them from lightest.",
            "REASONING",
            "ordering",
        ),
        ("Аня старше Бори, а Боря старше Вики. Кто самый младший?", "REASONING", "ordering"),
        ("민수는 지훈보다 빠르고 지훈은 태오보다 빠르다. 누가 제일 느려?", "REASONING", "ordering"),
        ("My laptop is lighter than yours but slower than it and pricier than both. Which should I take?", None, None),
        ("Is Python faster than Java? Which one is older?", None, None),
        # In one sentence, two comparisons chained under a condition.
        ("If Ann is faster than Bob and Bob is faster than Carl, who is slowest?", "REASONING", "ordering"),
        ("Если Аня выше Бори, а Боря выше Вики, кто самый низкий?", "REASONING", "ordering"),
        ("If my laptop is faster than yours and yours faster than Tim's, which should I buy?", None, None),
        # Choice questions: options of any script after a stem that holds a problem; trivia is none.
        ("Which of the following is the remainder of 2^100 divided by 7? A) 1 B) 2 C) 4 D) 6", "REASONING", "choice"),
        ("What is 7! mod 11?\nA. 1\nB. 3\nC. 5\nD. 9", "REASONING", "choice"),
        ("次のうち、2の10乗を7で割った余りはどれ？ ア 1 イ 2 ウ 4 エ 6", "REASONING", "choice"),
        ("다음 중 2의 10제곱을 3으로 나눈 나머지는? 가) 0 나) 1 다) 2", "REASONING", "choice"),
        ("أي مما يلي هو باقي قسمة 2^10 على 3؟ أ) 0 ب) 1 ج) 2 د) 3", "REASONING", "choice"),
        ("一件衣服打八折后卖240元，原价是多少？①280元 ②300元 ③320元 ④360元", "REASONING", None),
        ("Which of these is a mammal? A) shark B) whale C) trout", "MEDIUM", None),
        ("How many legs does a spider have? A) 6 B) 8 C) 10", "MEDIUM", None),
        ("In which year did World War II end? A) 1943 B) 1944 C) 1945 D) 1946", "MEDIUM", None),
        ("포유류는 무엇인가요? 가) 상어 나) 돌고래 다) 연어", "MEDIUM", "choice"),
        # Riddles said in few words: weighing, a guaranteed least, a river crossing, liars; and look-alikes.
        ("12 coins, one fake, three weighings on a balance: find the fake.", "REASONING", "puzzle"),
        ("How many socks must you take at least to be sure of a matching pair?", "REASONING", "puzzle"),
        (
            "A farmer must get a wolf, a goat and a cabbage across a river; the boat holds one more. How?",
            "REASONING",
            "puzzle",
        ),
        ("两个守门人中一个总说真话，另一个总说假话。你该问什么？", "REASONING", "puzzle"),
        ("How does a balance scale work?", None, None),
        ("How long does it take to cross the river by boat from Dover?", None, None),
        ("What is the minimum wage and is it guaranteed by law?", None, None),
        # A short "why" about the world is SIMPLE; about my device, or negated, not.
        ("почему все поезда в метро всегда приходят вовремя?", "SIMPLE", "definition"),
        ("why can't my laptop connect to the wifi since the last update?", "MEDIUM", None),
        # Asked for briefly: a short question or explanation is SIMPLE; with a task, parts or a contrast not.
        ("How does a heat pump work, briefly?", "SIMPLE", None),
        ("explain in a nutshell why the sky is blue", "SIMPLE", None),
        ("블록체인이 뭔지 간단히 설명해 줘.", "SIMPLE", None),
        ("Wie funktioniert eigentlich ein Kühlschrank? Bitte nur ganz kurz.", "SIMPLE", "definition"),
        ("Briefly explain quicksort and then write it in Python with tests.", "MEDIUM", None),
        ("Briefly list the steps to boil an egg.", "MEDIUM", "request"),
        ("Erklär mir kurz den Unterschied zwischen Aktien und ETFs.", "MEDIUM", None),
        ("Scenario 1 | The sky is blue. Scenario 2 | The sky is green. Which scenario states a fact?", "SIMPLE", None),
        ("what is 12*7", "SIMPLE", None),
        ("2x^2 - 7x + 3 = 0 풀어줘", "REASONING", "math"),
        ("コインを5回投げて、表がちょうど3回出る確率は？", "REASONING", "word_problem"),
        # 4. Requirement lists.
        (
            "Build a REST API for a library system with user auth, book search with pagination, loans "
            "with due dates and an admin dashboard. Include the DB schema, endpoints and tests.",
            "COMPLEX",
            None,
        ),
        ("regex for UK postcodes: accept lowercase, an optional space, and reject invalid ones", "MEDIUM", None),
        # 5. Hard work in other words; content handed over is not.
        (
            "Our school district wants to give 40,000 students a tablet. Put together the whole plan: "
            "devices, a budget by year, teacher training, repairs and how we judge success.",
            "COMPLEX",
            "requirements",
        ),
        ("Translate to French: we discussed the budget, the hiring plan, the office and the roadmap.", "MEDIUM", None),
        ("I have 2 kids aged 5 and 8, what are good board games for them?", "MEDIUM", "numbers_question"),
        (
            "Our checkout service times out under load since Tuesday. Latency doubled and errors spike "
            "at noon. What could be causing it?",
            "COMPLEX",
            "open_ask",
        ),
        (
            "We moved our shop to a new town last spring, and sales have been slow since then. Rent is twice "
            "as high here, and the old customers stopped coming. Three of our five staff live far away now, "
            "so mornings are hard to cover. We still have savings for about a year, but not much more. I keep "
            "thinking about it at night and I would like to hear how you see it.",
            "COMPLEX",
            "long_ask",
        ),
        # An open ask in the conditional, with no open-ask keyword; the polite request is none.
        (
            "Tenemos una app de reservas hecha en Django y la base de datos ya no aguanta la carga de las "
            "mañanas. ¿Cómo la reorganizarías para que escale?",
            "COMPLEX",
            "open_ask",
        ),
        (
            "Nosso e-commerce roda num monólito Rails com um banco Postgres que trava nas promoções, e o time "
            "tem quatro devs. Como você estruturaria a migração?",
            "COMPLEX",
            "open_ask",
        ),
        ("Mi jefe me pidió un informe de ventas para el lunes. ¿Cómo lo organizarías?", "MEDIUM", "request"),
        ("Uso varias librerías de Python para el backend. ¿Me podrías decir cuál es la más rápida?", "MEDIUM", None),
        # A short plain question is SIMPLE; a comparison, a judgement, a how-it-works or how-to not.
        ("does my iphone use machine learning for face id?", "SIMPLE", "definition"),
        ("Телеграм использует шифрование в обычных чатах?", "SIMPLE", "definition"),
        ("iPhoneの顔認証は機械学習を使っていますか？", "SIMPLE", "definition"),
        ("Is Rust faster than Go for web servers?", "MEDIUM", None),
        ("Is Kubernetes overkill for a small startup?", "MEDIUM", None),
        ("Ist ein Mac gut zum Programmieren?", "MEDIUM", None),
        ("Wie funktioniert ein Transformer-Modell?", "MEDIUM", None),
        ("how do I set up two monitors on windows 11?", "MEDIUM", None),
    ],
)
def test_rules(scorer: Scorer, prompt: str, tier: str | None, rule: str | None) -> None:
    r = scorer.score(prompt)
    if tier is None:  # a look-alike: not REASONING, whatever the score says
        assert r.tier != "REASONING", (r.tier, r.rule, prompt)
        return
    assert r.tier == tier, (r.tier, r.rule, prompt)
    if rule is not None:
        assert r.rule == rule, (r.tier, r.rule, prompt)


def _backends(spec: dict[str, Any]) -> list[Any]:
    built: list[Any] = [PyScorer(spec)]
    if native_available():
        built.append(native_module().Scorer(json.dumps(spec)))
    return built


def test_rules_can_be_switched_off(spec: dict[str, Any]) -> None:
    text = "solve x^2 - 5x + 6 = 0"
    disabled = {**spec, "structure": {**spec["structure"], "disabled": ["math"]}}
    for on, off, without_math in zip(
        _backends(spec), _backends({**spec, "structure": None}), _backends(disabled), strict=True
    ):
        assert (on.score(text).tier, RULES[on.score(text).rule]) == (3, "math")
        assert off.score(text).tier < 3
        assert RULES[without_math.score(text).rule] != "math"


def test_the_config_switches_the_structure_off(backend: str) -> None:
    text = "solve x^2 - 5x + 6 = 0"
    assert Scorer(backend=backend).score(text).rule == "math"
    assert Scorer({"structure": False}, backend=backend).score(text).rule == "score"
    assert compile_spec(ScoringConfig.load({"structure": False}))["structure"] is None


def test_structure_keywords_are_no_keyword_ids(scorer: Scorer) -> None:
    """Structure keywords count for the structure only: matched ids stay keyword ids."""
    r = scorer.score("give me the following: two plans for this whole project, please")
    _, matched, _ = r._unpacked()
    assert all(kid < scorer.n_keywords for kid in matched)
