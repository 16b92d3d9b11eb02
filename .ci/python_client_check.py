"""Rule 22 through a typed client: log in and send PATCHes of a single field, using nothing but
the client that openapi-python-client generated from openapi/openapi.json (the package
`engagiert_client` on PYTHONPATH). Usage: python_client_check.py BASE_URL EMAIL PASSWORD"""
import json
import sys

from engagiert_client import AuthenticatedClient, Client
from engagiert_client.api.auth import login, me
from engagiert_client.api.meetings import list_meetings
from engagiert_client.api.municipalities import get_municipality, update_municipality
from engagiert_client.api.users import get_user, update_user
from engagiert_client.models import LoginRequest, Meeting, MunicipalityPatch, UserPatch

base, email, password = sys.argv[1:4]
sent = []  # what went over the wire, to show that only the one field was sent


def record(request):
    if request.method == "PATCH":
        sent.append((request.headers["content-type"], json.loads(request.content)))


def check(condition, message):
    if not condition:
        sys.exit(f"FAILED: {message}")


answer = login.sync_detailed(client=Client(base_url=base), body=LoginRequest(email=email, password=password))
check(answer.status_code == 200, f"login answered {answer.status_code}: {answer.content!r}")
client = AuthenticatedClient(
    base_url=base,
    token=answer.parsed.access_token,
    raise_on_unexpected_status=True,
    httpx_args={"event_hooks": {"request": [record]}},
)

# Fields the server changes on every write; everything else must be as it was before the PATCH.
BOOKKEEPING = {"version", "updated_at"}


def patch_one_field(what, get, update, id, field, value, model):
    before = get.sync(id, client=client)
    check(getattr(before, field) != value, f"{what}: {field} is already {value!r}")
    answer = update.sync_detailed(id, client=client, body=model(**{field: value}))
    check(answer.status_code == 200, f"{what}: PATCH answered {answer.status_code}: {answer.content!r}")
    content_type, body = sent[-1]
    check(body == {field: value}, f"{what}: the client sent {body!r}, not just {field}")
    after = get.sync(id, client=client)
    check(getattr(answer.parsed, field) == value and getattr(after, field) == value, f"{what}: {field} did not change")
    untouched = lambda x: {k: v for k, v in x.to_dict().items() if k not in BOOKKEEPING | {field}}
    check(untouched(after) == untouched(before), f"{what}: the PATCH changed other fields too")
    print(f"{what}: PATCH {content_type} {json.dumps(body)} -> 200, {field} {getattr(before, field)!r} -> {value!r}")


patch_one_field("municipality unna", get_municipality, update_municipality, "unna", "population", 60000, MunicipalityPatch)

# The caller itself: found without a list endpoint, whose filters the generator may skip.
user = me.sync(client=client)
patch_one_field(f"user {user.email}", get_user, update_user, user.id, "name", user.name + " (typed client)", UserPatch)

# List items are the resource's own type (not an anonymous `...ItemsItemType0`).
page = list_meetings.sync(client=client)
check(page is not None and len(page.items) > 0, "the meetings list is empty")
check(all(isinstance(item, Meeting) for item in page.items), f"meetings list items are {type(page.items[0]).__name__}, not Meeting")
print(f"meetings list: {len(page.items)} items of type Meeting, first {page.items[0].title!r}")
