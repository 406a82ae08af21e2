"""Property tests: whatever the commands, the projector's pace and the faults, the read
models end equal to a from-scratch rebuild and to a plain-Python fold of the events.

Each example runs a short random script of commands (some rejected, some resent),
projector steps (some from two threads at once), faults from :class:`cqrs_lab.FaultPlan` (duplicates, reversed
batches, crashes before commit and between batches, poison under a random dead-letter
policy), hostile SQL sent through ``read_db``, which must change nothing, and commands sent
together from asyncio tasks or threads (the same command twice, cancel and ship of one
order), whose handlers really wait in the middle. No accepted command may be lost or stored
twice, and no two events may share a position or a stream version. Then it heals the poison, restarts until no crash is pending, retries the dead
letters, and compares. Everything runs on the simulated clock in in-memory DuckDB.
"""

import asyncio
import math
import os
import threading
import types
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cqrs_lab import ConcurrencyError, FaultPlan, InjectedCrash, ReadOnlyError, check_consistency
from cqrs_lab.orders import (
    ADA,
    ALAN,
    DEMO_ADDRESS,
    GRACE,
    CancelOrder,
    CreateOrder,
    OrderCancelled,
    OrderCreated,
    OrderItem,
    OrderItemAdded,
    OrderShipped,
    ShipOrder,
    build_lab,
)
from cqrs_lab.orders.errors import OrderRejected
from cqrs_lab.orders.handlers import CancelOrderHandler, CreateOrderHandler, ShipOrderHandler

CUSTOMERS = [ADA, GRACE, ALAN]
PRODUCTS = [("CRUNCHY-ARMCHAIR", 249.0), ("SILENT-KEYBOARD", 89.5), ("WOBBLY-TABLE", 120.25)]

items = st.lists(
    st.tuples(st.sampled_from(PRODUCTS), st.integers(1, 3)).map(
        lambda t: OrderItem(product_id=t[0][0], quantity=t[1], unit_price=t[0][1])
    ),
    min_size=1,
    max_size=3,
)
# -- read-side write attempts: every one must be refused and change nothing ---------------

TABLES = ["order_summary", "customer_stats", "customer_stats_orders", "projector_checkpoints"]
hostile_sql = st.one_of(
    st.builds(
        "WITH x AS (DELETE FROM {} RETURNING *) SELECT count(*) FROM x".format,
        st.sampled_from(TABLES),
    ),
    st.builds(
        "WITH x AS (UPDATE projector_checkpoints SET position = position + {} RETURNING *) "
        "SELECT count(*) FROM x".format,
        st.integers(1, 9),
    ),
    st.builds(
        "EXPLAIN ANALYZE UPDATE projector_checkpoints SET position = {}".format, st.integers(0, 9)
    ),
    st.builds(
        "EXPLAIN ANALYZE {} TABLE {}".format,
        st.sampled_from(["DROP", "TRUNCATE"]),
        st.sampled_from(TABLES),
    ),
    st.builds("SELECT 1; DELETE FROM {}".format, st.sampled_from(TABLES)),
    st.sampled_from(
        [
            "WITH x AS (UPDATE order_summary SET total_amount = 0 RETURNING *) SELECT 1 FROM x",
            "WITH x AS (INSERT INTO customer_stats (customer_id) VALUES (uuid()) RETURNING *) "
            "SELECT 1 FROM x",
            "SELECT * FROM read_csv('/etc/passwd')",
            "EXPLAIN ANALYZE COPY order_summary TO 'leak.csv'",
            "EXPLAIN ANALYZE SET schema = 'elsewhere'",
            "SELECT * FROM enable_logging()",
            "ATTACH ':memory:' AS elsewhere",
            "",
        ]
    ),
)

operations = st.one_of(
    st.tuples(st.just("create"), st.sampled_from(CUSTOMERS), items),
    st.tuples(st.sampled_from(["cancel", "ship", "resend"]), st.integers(0, 20)),
    st.tuples(st.just("step"), st.integers(1, 4)),
    st.tuples(st.just("catch_up")),
    st.tuples(st.just("catch_up_from_two_threads")),
    st.tuples(st.just("read_side_write"), hostile_sql),
    st.tuples(
        st.sampled_from(["together_async", "together_threads"]),
        st.lists(
            st.tuples(
                st.sampled_from(["create", "cancel", "ship", "resend", "same"]), st.integers(0, 20)
            ),
            min_size=2,
            max_size=4,
        ),
    ),
    st.tuples(
        st.sampled_from(["duplicate", "reverse", "crash_before_commit", "crash_between", "poison"]),
        st.integers(0, 20),
    ),
)


def run(lab, script):
    """Play ``script`` on ``lab``; crashes and rejections are part of the game.

    Returns what each accepted ``command_id`` stored (a resend must get the same answer).
    """
    orders, sent, accepted = [], [], {}
    plan = lab.projector.faults
    for op in script:
        try:
            if op[0] == "create":
                command = CreateOrder(customer_id=op[1], items=op[2], shipping_address=DEMO_ADDRESS)
                sent.append(command)
                events = lab.dispatch(command)
                accept(accepted, command, events)
                orders += [e.order_id for e in events if isinstance(e, OrderCreated)]
            elif op[0] in ("cancel", "ship") and orders:
                order_id = orders[op[1] % len(orders)]
                command = (
                    CancelOrder(order_id=order_id, reason="x")
                    if op[0] == "cancel"
                    else ShipOrder(order_id=order_id)
                )
                sent.append(command)
                accept(accepted, command, lab.dispatch(command))
            elif op[0] == "resend" and sent:
                command = sent[op[1] % len(sent)]
                accept(accepted, command, lab.dispatch(command))
            elif op[0] in ("together_async", "together_threads"):
                commands = commands_together(op[1], orders, sent)
                for command, result in zip(commands, send_together(lab, commands, op[0])):
                    if isinstance(result, Exception):
                        assert isinstance(result, OrderRejected | ConcurrencyError), result
                        continue
                    accept(accepted, command, result)
                    orders += [e.order_id for e in result if isinstance(e, OrderCreated)]
            elif op[0] == "step":
                lab.projector.step(op[1])
            elif op[0] == "catch_up":
                lab.catch_up()
            elif op[0] == "catch_up_from_two_threads":
                catch_up_from_two_threads(lab)
            elif op[0] == "read_side_write":
                attempt_write(lab, op[1])
            else:
                inject(lab, plan, op)
        except (OrderRejected, InjectedCrash):
            pass
        lab.clock.advance(1)
    return accepted


def accept(accepted, command, events):
    """Note what ``command`` stored; a resend must be answered with exactly that."""
    first = accepted.setdefault(command.command_id, events)
    assert first == events, f"command {command.command_id} answered differently when resent"


def commands_together(picks, orders, sent):
    """The commands of one concurrent batch: new orders, cancels and ships of known orders,
    resends, and ``same`` (the batch's previous command, sent again at once)."""
    commands = []
    for kind, n in picks:
        if kind == "create":
            armchair = OrderItem(product_id="CRUNCHY-ARMCHAIR", quantity=1, unit_price=249.0)
            commands.append(
                CreateOrder(
                    customer_id=CUSTOMERS[n % 3], items=[armchair], shipping_address=DEMO_ADDRESS
                )
            )
        elif kind in ("cancel", "ship") and orders:
            order_id = orders[n % len(orders)]
            commands.append(
                CancelOrder(order_id=order_id, reason="x")
                if kind == "cancel"
                else ShipOrder(order_id=order_id)
            )
        elif kind == "resend" and sent:
            commands.append(sent[n % len(sent)])
        elif kind == "same" and commands:
            commands.append(commands[-1])
    sent += commands
    return commands


def send_together(lab, commands, how):
    """Dispatch ``commands`` at once, as asyncio tasks or from one thread each; returns each
    one's events or error, in order."""
    if how == "together_async":

        async def all_at_once():
            return await asyncio.gather(
                *(lab.command_bus.dispatch(command) for command in commands),
                return_exceptions=True,
            )

        return asyncio.run(all_at_once())
    start = threading.Barrier(len(commands)) if commands else None

    def send(command):
        start.wait()
        try:
            return lab.dispatch(command)
        except Exception as error:
            return error

    with ThreadPoolExecutor(max(len(commands), 1)) as pool:
        return list(pool.map(send, commands))


@types.coroutine
def _suspend():
    yield


async def wait_a_moment():
    """What a handler awaiting real I/O does: let the other tasks (or threads) run."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # run synchronously (lab.dispatch): let another thread run instead
        os.sched_yield()
        return
    await _suspend()


class WaitingCreate(CreateOrderHandler):
    async def handle(self, command):
        await wait_a_moment()
        return await super().handle(command)


class WaitingCancel(CancelOrderHandler):
    async def handle(self, command):
        order = await self._load(command.order_id)
        await wait_a_moment()
        order.cancel(command.reason)
        return await self.order_repo.save(order)


class WaitingShip(ShipOrderHandler):
    async def handle(self, command):
        order = await self._load(command.order_id)
        await wait_a_moment()
        order.ship()
        return await self.order_repo.save(order)


def with_waiting_handlers(lab):
    """The lab, its handlers replaced by ones that wait between loading and saving."""
    bus = lab.command_bus
    bus.register(CreateOrder, WaitingCreate(lab.orders, lab.inventory, lab.customers))
    bus.register(CancelOrder, WaitingCancel(lab.orders))
    bus.register(ShipOrder, WaitingShip(lab.orders))
    return lab


def assert_nothing_lost_doubled_or_shared(lab, accepted):
    """0 lost, 0 stored twice, 0 duplicated positions or stream versions."""
    recorded = lab.event_store.read_all()
    assert [r.position for r in recorded] == list(range(1, lab.event_store.head + 1))
    stored = [(r.stream_id, r.version) for r in recorded]
    assert len(set(stored)) == len(stored), "two events share a stream version"
    answered = [(e.aggregate_id, e.version) for events in accepted.values() for e in events]
    assert sorted(answered) == sorted(stored), "an accepted command lost or stored twice"


def catch_up_from_two_threads(lab):
    """Two threads call ``catch_up`` at once: they take turns; only injected crashes fail."""
    start, errors = threading.Barrier(2), []

    def run_one():
        start.wait()
        try:
            lab.projector.catch_up()
        except InjectedCrash:
            pass
        except Exception as error:  # anything else is a bug (the old projector: DuckDB's)
            errors.append(error)

    threads = [threading.Thread(target=run_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def attempt_write(lab, sql):
    """Send hostile SQL through the read side: refused, and the checkpoints stay put."""
    checkpoints = lab.projector.checkpoints()
    try:
        lab.read_db.execute(sql)
    except (ReadOnlyError, ValueError):
        pass
    else:
        raise AssertionError(f"read_db ran {sql!r}")
    assert lab.projector.checkpoints() == checkpoints


def inject(lab, plan, op):
    kind, n = op
    position = lab.projector.position + 1 + n % 4
    if kind == "duplicate":
        plan.duplicate.add(position)
    elif kind == "reverse":
        plan.reverse_batches += 1
    elif kind == "crash_before_commit":
        plan.crash_before_commit += 1
    elif kind == "crash_between":
        plan.crash_between_batches += 1
    elif kind == "poison":
        plan.poison[position] = [None, "order_summary", "customer_stats"][n % 3]


def recover(lab):
    """The operator's part: fix the handler, restart until up to date, retry dead letters."""
    lab.projector.faults.heal()
    for _ in range(50):
        try:
            lab.catch_up()
            lab.projector.retry_dead_letters()
            lab.catch_up()
            return
        except InjectedCrash:
            pass  # the restart: go again from the committed checkpoints
    raise AssertionError("still crashing after 50 restarts")


_database = duckdb.connect(":memory:")


def fresh_database():
    """The shared in-memory database, emptied: opening a new DuckDB per example costs more
    than the example itself."""
    tables = _database.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")
    for (name,) in tables.fetchall():
        _database.execute(f"DROP TABLE {name}")
    return _database


def reference_fold(events):
    """The read models, computed the plainest way: a Python loop over every event."""
    orders, customers = {}, defaultdict(lambda: [0, 0, 0.0])
    for event in events:
        if isinstance(event, OrderCreated):
            orders[event.order_id] = dict(
                customer=event.customer_id, status="pending", total=0.0, items=0, version=1
            )
            customers[event.customer_id][0] += 1
            continue
        order = orders[event.order_id]
        order["version"] = event.version
        if isinstance(event, OrderItemAdded):
            order["total"] += event.quantity * event.unit_price
            order["items"] += 1
            customers[order["customer"]][2] += event.quantity * event.unit_price
        elif isinstance(event, OrderCancelled):
            order["status"] = "cancelled"
            customers[order["customer"]][1] += 1
            customers[order["customer"]][2] -= order["total"]
        elif isinstance(event, OrderShipped):
            order["status"] = "shipped"
    return orders, dict(customers)


@settings(
    max_examples=int(os.environ.get("PROP_N", 200)),
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    script=st.lists(operations, max_size=10),
    batch_size=st.integers(2, 5),
    policy=st.sampled_from(["skip", "stop"]),
)
def test_read_models_equal_a_rebuild_and_a_plain_fold_after_any_faults(script, batch_size, policy):
    lab = build_lab(
        seed=7,
        batch_size=batch_size,
        database=fresh_database(),
        dead_letter_policy=policy,
        faults=FaultPlan(),
        record_history=False,
    )
    accepted = run(with_waiting_handlers(lab), script)
    assert_nothing_lost_doubled_or_shared(lab, accepted)
    recover(lab)

    assert lab.projector.position == lab.event_store.head
    report = check_consistency(lab)
    assert report.ok, (str(report), report.differences.to_dict("records"))

    orders, customers = reference_fold(r.event for r in lab.event_store.read_all())
    summary = {r["id"]: r for r in lab.read_model("order_summary").to_dict("records")}
    assert summary.keys() == orders.keys()
    for order_id, want in orders.items():
        got = summary[order_id]
        assert (got["customer_id"], got["status"], got["item_count"], got["version"]) == (
            want["customer"],
            want["status"],
            want["items"],
            want["version"],
        )
        assert math.isclose(got["total_amount"], want["total"])
    stats = {r["customer_id"]: r for r in lab.read_model("customer_stats").to_dict("records")}
    assert stats.keys() == customers.keys()
    for customer_id, (count, cancelled, spent) in customers.items():
        got = stats[customer_id]
        assert (got["order_count"], got["cancelled_count"]) == (count, cancelled)
        assert math.isclose(got["total_spent"], spent, abs_tol=1e-9)
