"""Pure IAM/KMS policy documents (JSON-ready dicts) for the cluster."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def irsa_trust_policy(
    oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str
) -> dict[str, Any]:
    """Trust for one Kubernetes service account through the cluster's OIDC provider.

    Both `sub` and `aud` are pinned, so no other service account (and no other audience) can
    assume the role. https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{oidc_issuer}:sub": (
                            f"system:serviceaccount:{namespace}:{service_account}"
                        ),
                        f"{oidc_issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def secrets_key_policy(
    partition: str,
    account_id: str,
    region: str,
    log_group_name: str,
    extra_log_group_names: Sequence[str] = (),
) -> dict[str, Any]:
    """Key policy for the cluster's KMS key: the account administers it through IAM (no `*`
    principal); CloudWatch Logs may use it only for the control-plane log group (and the
    `extra_log_group_names`, e.g. the VPC flow logs).

    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    """
    arns = [
        f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"
        for name in (log_group_name, *extra_log_group_names)
    ]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsControlPlaneLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": (arns[0] if len(arns) == 1 else arns)
                    }
                },
            },
        ],
    }
