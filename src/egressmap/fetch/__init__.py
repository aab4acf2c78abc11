"""Getting evidence from where it lives (CloudWatch Logs, S3, Log Analytics) into local files or straight in.

Only constants live here: the CLI builds its parser from them without loading the fetch code.
"""

S3_KINDS: tuple[str, ...] = ("route53-resolver", "vpc-flow", "aws-network-firewall")
"""The kinds of logs ``fetch s3`` finds, named as ``--format`` names their readers."""
