"""Ferry's local Lambda runtime: calls a Python handler once.

Run by Ferry (package lambda) as

    python3 bootstrap.py CODE_DIR MODULE.FUNC RESULT_FILE < event.json

with the function's settings in FERRY_LAMBDA_* variables. It imports
MODULE from CODE_DIR, calls FUNC(event, context) with a context shaped as
AWS Lambda's Python runtime gives it, and writes the JSON result, or an
error object {"errorMessage", "errorType", "stackTrace"}, to RESULT_FILE.
"""
import importlib
import json
import os
import sys
import time
import traceback
import uuid

code_dir, handler, result_file = sys.argv[1], sys.argv[2], sys.argv[3]


class Context:
    def __init__(self):
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("FERRY_LAMBDA_ARN", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = os.environ.get("FERRY_LAMBDA_REQUEST_ID") or str(uuid.uuid4())
        self.log_group_name = "/aws/lambda/" + self.function_name
        self.log_stream_name = "ferry/" + self.aws_request_id
        self.identity = None
        self.client_context = None
        self._deadline = time.time() + float(os.environ.get("FERRY_LAMBDA_TIMEOUT", "900"))

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.time()) * 1000))


def write(obj):
    tmp = result_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, result_file)


try:
    module_name, _, func_name = handler.rpartition(".")
    if not module_name:
        raise ValueError("handler %r: want MODULE.FUNCTION" % handler)
    sys.path.insert(0, code_dir)
    func = getattr(importlib.import_module(module_name.replace("/", ".")), func_name)
    event = json.load(sys.stdin)
    result = func(event, Context())
    write({"ok": True, "result": result})
except Exception as e:
    traceback.print_exc()
    write({"ok": False, "errorMessage": str(e), "errorType": type(e).__name__,
           "stackTrace": traceback.format_tb(e.__traceback__)})
    sys.exit(1)
