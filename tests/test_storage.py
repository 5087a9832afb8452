"""Where rows are kept: the member table after compactions and growth, and the per-day log
of the recorder, against plain Python bookkeeping of the same operations."""
import numpy as np
from hypothesis import given, settings, strategies as st

from sim.engine.members import Members
from sim.engine.recorder import ColumnLog

OPS = st.lists(st.tuples(st.sampled_from(["add", "leave", "compact"]), st.integers(0, 3000)), max_size=25)


@settings(max_examples=30, deadline=None)
@given(ops=OPS, seed=st.integers(0, 2**32 - 1))
def test_members_keep_their_values_through_growth_and_compaction(ops, seed):
    rng = np.random.default_rng(seed)
    m, alive, gone, next_uid = Members(capacity=64), {}, set(), 0
    for op, k in ops:
        if op == "add":
            uids = np.arange(next_uid, next_uid + k, dtype=np.uint32)
            m.add(k, uid=uids, person=uids, group=np.zeros(k, np.int32), messages=uids * 3)
            alive.update({int(u): int(u) * 3 for u in uids})
            next_uid += k
        elif op == "leave" and m.n:
            rows = np.flatnonzero(m.present)
            rows = rows[rng.random(len(rows)) < k / 3000]
            m.mark_left(rows, 1)
            for u in m.uid[rows]:
                gone.add(int(u))
                alive.pop(int(u))
        elif op == "compact":
            m.compact_if_sparse()
    here = m.present
    assert dict(zip(m.uid[here].tolist(), m.messages[here].tolist())) == alive
    assert set(m.everyone("uid")[m.everyone("left") >= 0].tolist()) == gone
    assert m._capacity >= m.n  # noqa: SLF001 - the invariant under test


def test_compaction_gives_memory_back_and_growth_is_gentle():
    m = Members(capacity=100_000)
    m.add(100_000, uid=np.arange(100_000, dtype=np.uint32), group=np.zeros(100_000, np.int32))
    m.mark_left(np.arange(0, 100_000, 2), 1)
    assert m.compact_if_sparse()
    assert m.n == 50_000 and m._capacity < 60_000  # noqa: SLF001
    m.add(20_000, uid=np.arange(100_000, 120_000, dtype=np.uint32), group=np.zeros(20_000, np.int32))
    assert m.n == 70_000 and m._capacity < 100_000  # noqa: SLF001
    assert (m.uid[:50_000] == np.arange(1, 100_000, 2)).all() and (m.left == -1).all()


@settings(max_examples=40, deadline=None)
@given(days=st.lists(st.tuples(st.integers(0, 40), st.booleans(), st.integers(0, 5)), min_size=1, max_size=30),
       per_group=st.integers(1, 5))
def test_column_log_equals_concatenating_the_days(days, per_group):
    """Rows of a growing number of groups; a column that starts late is zero before."""
    log, kept = ColumnLog(rows_per_group=per_group), []
    for day, (groups, with_late, value) in enumerate(days):
        row = {"day": (np.full(groups, day), np.int32), "count": (np.arange(groups) * value, np.int32)}
        if with_late or any(w for _, w, _ in days[:day]):
            row["late"] = (np.full(groups, value + 0.5), np.float64)
        log.append(row)
        kept.append({k: v.astype(t) for k, (v, t) in row.items()})
    for name in log.names:
        expected = np.concatenate([r.get(name, np.zeros(len(r["day"]))) for r in kept])
        column = log.column(name)
        assert column.dtype == kept[-1][name].dtype and np.array_equal(column, expected)
        assert not column.flags.writeable


@settings(max_examples=40, deadline=None)
@given(blocks=st.lists(st.lists(st.integers(0, 6), min_size=0, max_size=30), min_size=1, max_size=6),
       sort_blocks=st.booleans())
def test_restoring_the_order_equals_a_stable_sort(blocks, sort_blocks):
    """Rows added out of group order (a day's recruits routed to older groups) end as a
    stable sort by group would leave them."""
    m, uid, groups = Members(capacity=8), 0, []
    for block in blocks:
        block = sorted(block) if sort_blocks else block
        k = len(block)
        m.add(k, uid=np.arange(uid, uid + k, dtype=np.uint32), group=np.array(block, np.int32))
        groups += block
        uid += k
    m.order(7)
    expected = np.argsort(np.array(groups, np.int64), kind="stable")
    assert np.array_equal(m.uid, expected.astype(np.uint32)) and (np.diff(m.group) >= 0).all()


def test_a_new_membership_takes_the_person_but_not_a_strategy_column():
    """Enrolling copies the person's traits and state, while strategy columns (money received, a
    group's own bookkeeping) start at their fill, so per-person sums count each yuan once."""
    m = Members(capacity=8)
    m.add_column("received", np.float32, 0.0, archived=True)
    m.add(2, uid=np.arange(2, dtype=np.uint32), person=np.arange(2, dtype=np.uint32),
          group=np.zeros(2, np.int32), trust=np.float32(0.7), received=np.float32(10))
    m.enroll(np.array([0]), np.array([1], np.int32), 5, move=False, keys=np.array([99], np.uint32))
    assert m.n == 3 and m.person[2] == 0 and m.trust[2] == np.float32(0.7) and m.received[2] == 0
