"""Run inside a fresh interpreter laid out like Lambda: import the handler, invoke it.

Usage: python -S -c "$(cat lambda_invoke.py)" HANDLER EVENT.json... in the function's
directory (Lambda's /var/task, on sys.path as ''); PYTHONPATH holds the layer's python/ and
boto3, and -S keeps site-packages out. Prints one JSON line of results last.
"""

import importlib
import json
import sys

module_name, _, attr = sys.argv[1].rpartition(".")
handler = getattr(importlib.import_module(module_name), attr)
runtime = sys.modules["runtime"]
results = []
for path in sys.argv[2:]:
    with open(path) as file:
        results.append(handler(json.load(file), None))
print(
    json.dumps(
        {
            "modules": {
                name: getattr(sys.modules.get(name), "__file__", None)
                for name in (module_name, "runtime", "boto3")
            },
            "wsgen": "wsgen" in sys.modules,
            "runtime_file": runtime.__file__,
            "results": results,
        }
    )
)
