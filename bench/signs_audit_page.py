"""The sign audit page over a loaded database: the first view, then repeated views and filters.

Logs a sign maintainer into the web app (Flask's test client, no network) and asks for the
audit page of the whole city, then for it again with each filter and page, and for the
whole-city API where it exists. Then records a write (a sign's condition through its use case)
and times the next view, which audits again. Times are wall seconds of each request, findings
as the page counts them.

Run on a database loaded with ``wuhai-gis load-reference`` (it adds an account ``bench-audit``
if missing, and leaves one sign's condition changed and changed back):
``.venv/bin/python -m bench.signs_audit_page --database-url sqlite:////tmp/ref.sqlite``
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time

from sqlalchemy import select

USER = "bench-audit"
PASSWORD = "bench audit password 42"
#: Views after the first: the same page, filters, a page of the table.
REPEATS = (
    "/signs/audit",
    "/signs/audit?severity=error",
    "/signs/audit?severity=warning",
    "/signs/audit?kind=sign_missing",
    "/signs/audit?page=3",
    "/signs/audit?severity=warning&page=2",
    "/signs/audit",
)


def main(argv: list[str] | None = None) -> dict:
    """Time the views; print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args(argv)

    from gis.accounts import create_user
    from gis.db import make_engine
    from gis.db import make_session_factory
    from gis.models import User
    from placenames.models import Sign
    from placenames.signs import store as signs_store
    from webmap import create_app

    engine = make_engine(args.database_url)
    with make_session_factory(engine)() as s:
        if s.scalar(select(User).where(User.username == USER)) is None:
            create_user(s, username=USER, password=PASSWORD, roles=["sign_maintainer"], actor="bench")
            s.commit()
        sign_id = s.scalar(select(Sign.id).where(Sign.condition == "good").order_by(Sign.id).limit(1))
    engine.dispose()

    with tempfile.TemporaryDirectory(prefix="signs_audit_page") as instance:
        app = create_app(
            {"DATABASE_URL": args.database_url, "INSTANCE_PATH": instance, "WTF_CSRF_ENABLED": False}
        )
        client = app.test_client()
        login = client.post("/auth/login", data={"username": USER, "password": PASSWORD})
        assert login.status_code in (200, 302), login.status_code

        def view(path: str) -> tuple[float, int | None]:
            t0 = time.perf_counter()
            resp = client.get(path)
            seconds = time.perf_counter() - t0
            assert resp.status_code == 200, (path, resp.status_code)
            found = re.search(r'<h2 id="audit-count">[^:]+: (\d+)', resp.get_data(as_text=True))
            return seconds, int(found.group(1)) if found else None

        first, total = view("/signs/audit")
        repeats = [view(path)[0] for path in REPEATS]
        api = client.get("/api/signs/audit?severity=warning&limit=100")
        api_seconds = None
        if api.status_code == 200:  # the whole city through the API
            t0 = time.perf_counter()
            client.get("/api/signs/audit?severity=error&limit=100")
            api_seconds = round(time.perf_counter() - t0, 3)
        with app.app_context():
            from webmap.db import get_session

            session = get_session()
            for condition in ("missing", "good"):
                sign = session.get(Sign, sign_id)
                signs_store.update_sign(
                    session,
                    sign_id,
                    changes={"condition": condition},
                    actor="bench",
                    expected_version=sign.version,
                )
                session.commit()
        after_write, _ = view("/signs/audit")
        again, _ = view("/signs/audit?severity=error")
    result = {
        "command": "python -m bench.signs_audit_page --database-url URL",
        "findings": total,
        "first_view_s": round(first, 3),
        "repeated_views_median_s": round(statistics.median(repeats), 3),
        "repeated_views_max_s": round(max(repeats), 3),
        "api_whole_city_s": api_seconds,
        "first_view_after_a_write_s": round(after_write, 3),
        "next_view_s": round(again, 3),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
