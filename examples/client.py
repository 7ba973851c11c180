"""Start a stream-collab chain from Python (PyPI `temporalio`) and read its result.

The chain is the workflow type `schemaToPipeline` (Pattern A) on the task queue our workers poll; its input
is `{"payload": <schema-to-stream payload>, "partition": <optional>}` and its result is the chain as JSON.
Nothing here is stream-collab code: any Temporal SDK can drive chains by type name.

    npm run python:install        # temporalio into .pydeps (examples/requirements.txt)
    PYTHONPATH=.pydeps python3 examples/client.py [target_model] [workflow_id]

TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default) and STREAM_COLLAB_TASK_QUEUE
(default stream-collab) say where. Exit 0 when the chain completed, 1 when it failed.
"""

import asyncio
import json
import os
import sys

from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError


async def main() -> int:
    target_model = sys.argv[1] if len(sys.argv) > 1 else "fct_orders"
    # Reusing an id attaches to the chain running under it instead of starting a second one.
    workflow_id = sys.argv[2] if len(sys.argv) > 2 else f"python-client/{target_model}"
    client = await Client.connect(
        os.environ.get("TEMPORAL_ADDRESS") or "localhost:7233",
        namespace=os.environ.get("TEMPORAL_NAMESPACE") or "default",
    )
    payload = {"source_tables": ["raw_orders", "raw_customers"], "target_model": target_model}
    try:
        chain = await client.execute_workflow(
            "schemaToPipeline",
            {"payload": payload},
            id=workflow_id,
            task_queue=os.environ.get("STREAM_COLLAB_TASK_QUEUE") or "stream-collab",
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowFailureError as err:
        # The failure type is one of the documented ones (AgentRejected, ContractViolation, ...).
        cause = err.cause
        kind = cause.type if isinstance(cause, ApplicationError) else type(cause).__name__
        print(f"{workflow_id} failed ({kind}): {cause}", file=sys.stderr)
        return 1
    summary = {
        "workflowId": chain["chainId"],
        "status": chain["status"],
        "handoffs": [
            {"step": h["step"], "from": h["from"], "to": h["to"], "status": h["status"]} for h in chain["handoffs"]
        ],
        "connectors": [c["name"] for c in chain["output"]["connectors"]],
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    code = asyncio.run(main())
    # Leave without interpreter finalization: the SDK's native runtime threads can abort it
    # ("PyGILState_Release ... finalizing"), turning a finished run into a crash exit.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
