"""The singer-sdk standard tap tests, against a fake tenant started when this module loads.

`get_tap_test_class` builds the tap at collection time, so the tenant must already be up.
"""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_auth0_logs.singer.tap import TapAuth0Logs
from tap_auth0_logs.testing import FakeAuth0, TenantLogs, user_id_for

# 10 s apart: the 400 logs span every event shape the fake tenant serves (20-minute periods), so
# each stream, run on its own, has records carrying every kind of attribute (`extra_fields` too).
_TENANT = FakeAuth0(TenantLogs(count=400, users=20, gap=10.0)).start()
atexit.register(_TENANT.stop)

TestTapAuth0Logs = get_tap_test_class(
    tap_class=TapAuth0Logs,
    config=_TENANT.config(search_query="type:s", user_ids=[user_id_for(3), user_id_for(7)]),
    suite_config=SuiteConfig(max_records_limit=300),
    parse_env_config=False,
)
