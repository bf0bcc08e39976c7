"""Structural signals and rules (python/smart_llm_router/_structure.py), Python backend only:
the native core does not have them yet."""

from __future__ import annotations

import pytest

from smart_llm_router import Scorer
from smart_llm_router._pyscorer import PyScorer
from smart_llm_router._structure import SETS, Structure, load_structure_data, skeleton
from smart_llm_router._text import fold, non_ascii
from smart_llm_router.scoring import ScoringConfig, compile_spec
from smart_llm_router.tables import RULES


@pytest.fixture(scope="module")
def structure() -> Structure:
    return Structure()


@pytest.fixture(scope="module")
def py() -> Scorer:
    return Scorer(backend="python")


def signals(structure: Structure, text: str):
    return structure.signals(text, structure.matcher().scan(fold(text))[0])


def test_sets_and_rules_are_known() -> None:
    data = load_structure_data()
    assert set(data["sets"]) == set(SETS)
    for name in ("math", "word_problem", "puzzle", "rework", "requirements", "request", "definition"):
        assert name in RULES


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
        ("solve x^2 - 5x + 6 = 0", "math", 3),
        ("O(n log n) vs O(1)", "math", 1),
        ("we use C++ and 10^12 records, e-commerce at 120 km/h", "math", 0),
        ("Luis, Marta y Pedro tienen un perro. ¿Quién tiene el gato?", "names", 3),
        ("about 40,000 students", "scale", True),
        ("in 2023 we had 300 users", "scale", False),
        ("500만 명", "scale", True),
    ],
)
def test_signals(structure: Structure, text: str, field: str, value: object) -> None:
    sig = signals(structure, text)
    got = getattr(sig, field)
    if field == "math" and value:
        assert got >= value, sig  # marks saturate: only "enough" matters
    else:
        assert got == value, sig


@pytest.mark.parametrize(
    ("prompt", "tier"),
    [
        # 1. Topic is not task.
        ("what is kubernetes?", "SIMPLE"),
        ("was ist ein Deadlock", "SIMPLE"),
        ("что такое машинное обучение?", "SIMPLE"),
        ("Kubernetes 是什么？", "SIMPLE"),
        ("What is Terraform and can you write me a module that creates an S3 bucket?", "MEDIUM"),
        # 2. Work on content the prompt points at.
        ("summarize the attached report", "MEDIUM"),
        ("debug the following function, it returns None sometimes", "MEDIUM"),
        ("refactor this module into smaller services", "COMPLEX"),
        ("перенеси весь проект с Flask на FastAPI", "COMPLEX"),
        ("このコードベース全体を TypeScript に移行して", "COMPLEX"),
        # 3. Reasoning without proof words.
        ("solve x^2 - 5x + 6 = 0", "REASONING"),
        ("Un grifo llena un depósito en 3 horas y otro en 5. ¿Cuánto tardan juntos?", "REASONING"),
        (
            "a tap fills a bathtub in six minutes and the drain empties it in ten. how long until it is full?",
            "REASONING",
        ),
        ("Scenario 1 | The sky is blue. Scenario 2 | The sky is green. Which scenario states a fact?", "SIMPLE"),
        ("what is 12*7", "SIMPLE"),
        # 4. Requirement lists.
        (
            "Build a REST API for a library system with user auth, book search with pagination, loans "
            "with due dates and an admin dashboard. Include the DB schema, endpoints and tests.",
            "COMPLEX",
        ),
        ("regex for UK postcodes: accept lowercase, an optional space, and reject invalid ones", "MEDIUM"),
        # 5. Hard work in other words; content handed over is not.
        (
            "Our school district wants to give 40,000 students a tablet. Put together the whole plan: "
            "devices, a budget by year, teacher training, repairs and how we judge success.",
            "COMPLEX",
        ),
        ("Translate to French: we discussed the budget, the hiring plan, the office and the roadmap.", "MEDIUM"),
        ("I have 2 kids aged 5 and 8, what are good board games for them?", "MEDIUM"),
    ],
)
def test_rules(py: Scorer, prompt: str, tier: str) -> None:
    r = py.score(prompt)
    assert r.tier == tier, (r.tier, r.rule, prompt)


def test_rules_can_be_switched_off() -> None:
    spec = compile_spec(ScoringConfig.load())
    on = PyScorer(spec)
    off = PyScorer({**spec, "structure": False})
    text = "solve x^2 - 5x + 6 = 0"
    assert on.score(text).tier == 3 and RULES[on.score(text).rule] == "math"
    assert off.score(text).tier < 3
    on._structure.off = frozenset({"math"})
    assert RULES[on.score(text).rule] != "math"
