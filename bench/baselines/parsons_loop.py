"""The Parsons baseline: a campaign data person's cron job, one canvass response per call, in a
loop, through Parsons' VAN connector (parsons.VAN.apply_response). Reads the calls as JSON lines
({"vanId", "body"}) on stdin; prints {"posted", "failed", "seconds", "latenciesMs"} as JSON.
Only the connector's base URL is pointed at the VAN sandbox."""

import json
import os
import sys
import time

from parsons import VAN
from parsons.utilities.api_connector import APIConnector
from requests.auth import HTTPBasicAuth


def main():
    van = VAN(api_key=os.environ["VAN_API_KEY"], db="MyVoters")
    conn = van.connection
    conn.uri = os.environ["VAN_API_URL"].rstrip("/") + "/v4/"
    conn.auth = HTTPBasicAuth(os.environ["VAN_APPLICATION_NAME"], conn.api_key + "|" + str(conn.db_code))
    conn.api = APIConnector(conn.uri, auth=conn.auth, data_key="items", pagination_key="nextPageLink")

    calls = [json.loads(line) for line in sys.stdin if line.strip()]
    latencies = []
    failed = 0
    started = time.monotonic()
    for call in calls:
        body = call["body"]
        context = body["canvassContext"]
        phone = context.get("phone") or {}
        began = time.monotonic()
        try:
            van.apply_response(
                call["vanId"],
                body.get("responses"),
                contact_type_id=context.get("contactTypeId"),
                input_type_id=context.get("inputTypeId"),
                date_canvassed=context.get("dateCanvassed"),
                result_code_id=body.get("resultCodeId"),
                phone=phone.get("phoneNumber"),
                skip_matching=context.get("skipMatching"),
            )
        except Exception as error:  # the cron job logs and goes on
            failed += 1
            if failed <= 3:
                print(f"post failed: {error}", file=sys.stderr)
        latencies.append((time.monotonic() - began) * 1000)
    seconds = time.monotonic() - started
    print(json.dumps({"posted": len(calls) - failed, "failed": failed, "seconds": seconds, "latenciesMs": latencies}))


if __name__ == "__main__":
    main()
