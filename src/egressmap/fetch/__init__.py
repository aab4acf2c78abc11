"""Getting evidence from where it lives (CloudWatch Logs; S3 and Log Analytics later) into local files."""
