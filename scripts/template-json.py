#!/usr/bin/env python3
"""Prints a CloudFormation template (YAML with !Ref/!Sub/... tags) as JSON, using cfn-lint's
own decoder, so tests read the template exactly as cfn-lint and CloudFormation do."""
import json
import sys

from cfnlint.decode import decode

template, matches = decode(sys.argv[1])
if matches or template is None:
    sys.stderr.write("\n".join(str(m) for m in matches) + "\n")
    sys.exit(1)
json.dump(template, sys.stdout, default=str)
