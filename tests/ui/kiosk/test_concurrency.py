"""A coordinator and several self-reporting patients write to one SQLite file at the same
moment, each with its own engine as in separate kiosk processes: every write succeeds (WAL, a
busy timeout and BEGIN IMMEDIATE in followup.store.engine)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from followup.domain.instrument import ITEM_KEYS
from followup.services.context import Context
from followup.services.log_call import log_contact
from followup.services.patient_codes import verify_code
from followup.services.self_report import submit_self_report
from tests.conftest import make_context

from .conftest import Clinic

REPORTS = [("P1", "left"), ("P1", "right"), ("P2", "left")] * 2
CONTACTS = 3


def test_self_reports_and_a_staff_call_log_at_once(clinic: Clinic) -> None:
    url = clinic.ctx.settings.database_url
    start = threading.Barrier(len(REPORTS) + CONTACTS)

    def in_own_process(work: Callable[[Context], object]) -> Callable[[], object]:
        def run() -> object:
            ctx = make_context(url)  # its own engine, like another kiosk or the staff UI
            try:
                start.wait(timeout=30)
                return work(ctx)
            finally:
                ctx.close()

        return run

    def self_report(patient_id: str, knee: str) -> Callable[[Context], object]:
        def work(ctx: Context) -> object:
            verify_code(ctx, patient_id, clinic.codes[patient_id])
            answers = {key: 2 for key in ITEM_KEYS}
            return submit_self_report(ctx, patient_id, knee, answers, "warm knee")

        return work

    def call_log(ctx: Context) -> object:
        return log_contact(ctx, "P3", "reached", "coordinator:alice", note="all fine")

    jobs = [in_own_process(self_report(p, k)) for p, k in REPORTS]
    jobs += [in_own_process(call_log) for _ in range(CONTACTS)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = [f.result(timeout=60) for f in [pool.submit(job) for job in jobs]]

    assert all(results)
    with clinic.ctx.engine.connect() as conn:
        reports = conn.exec_driver_sql(
            "SELECT count(*) FROM assessment WHERE source = 'self_report'"
        ).scalar()
        contacts = conn.exec_driver_sql("SELECT count(*) FROM contact").scalar()
        audited = conn.exec_driver_sql(
            "SELECT count(*) FROM audit_event WHERE entity = 'assessment' "
            "AND actor LIKE 'patient:%'"
        ).scalar()
    assert (reports, contacts, audited) == (len(REPORTS), CONTACTS, len(REPORTS))
