"""Every default of the project, in one place.

Component args and the stack-config parser both take their defaults from here; the README's
config reference is checked against this module by a test.
"""

from __future__ import annotations

from .options import (
    Dataplane,
    KubeProxyMode,
    LoadBalancerController,
    LoadBalancerScheme,
    NatStrategy,
)

VPC_CIDR = "10.0.0.0/16"
NAT_STRATEGY = NatStrategy.ONE_PER_AZ

# EKS standard support (14 months from release): 1.35 was released on EKS 2026-01-28 and stays
# in standard support until 2027-03-27; 1.34 leaves it on 2026-12-02.
# https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-release-calendar.html
KUBERNETES_VERSION = "1.35"
# Versions the project accepts: in EKS standard or extended support, run by Calico v3.31's e2e
# tests (projectcalico discussion #11717 adds 1.35), and with Bottlerocket's 6.12 kernel
# line handled by Calico >= v3.31.3 (calico#11399). kubernetes-validate 1.37 has schemas for all.
SUPPORTED_KUBERNETES_VERSIONS = ("1.33", "1.34", "1.35")

# EKS picks 172.20.0.0/16 for a 10.x VPC; stated explicitly so Bottlerocket's cluster-dns-ip
# (10th address, 172.20.0.10) and VPC overlap checks are known before deploy.
SERVICE_CIDR = "172.20.0.0/16"

# Control-plane log types: all five (CKV_AWS_37), a superset of api/audit/authenticator.
CLUSTER_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
# CIS Amazon EKS Benchmark and checkov CKV_AWS_338: keep CloudWatch logs at least a year.
LOG_RETENTION_DAYS = 365
# CloudWatch Logs PutRetentionPolicy accepted values.
ALLOWED_LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# Node groups: the library default is the seed recipe's node: Bottlerocket on c5n.metal.
NODE_GROUP_NAME = "metal"
INSTANCE_TYPES = ("c5n.metal",)
MIN_SIZE = 2
DESIRED_SIZE = 2
MAX_SIZE = 2
DISK_SIZE_GIB = 50

# Calico. v3.31.7: latest 3.31 patch, CRDs bundled in the operator chart; >= v3.31.3 carries the
# fix for 6.12 kernels (Bottlerocket for K8s 1.33+), projectcalico/calico#11399.
CALICO_VERSION = "v3.31.7"
MIN_CALICO_VERSION = (3, 31, 3)
DATAPLANE = Dataplane.BPF
KUBE_PROXY = KubeProxyMode.DISABLED
# False deploys the same cluster without Calico: the benchmark's plain-EKS baseline.
CALICO = True

# Load balancing.
LOAD_BALANCER_CONTROLLER = LoadBalancerController.AWS
LOAD_BALANCER_SCHEME = LoadBalancerScheme.INTERNET_FACING
DEMO_APP = False
DEMO_APP_PORT = 80

# Security controls (issue 9).
# Nodes may open SSM Session Manager sessions (and nothing else of SSM).
NODE_SSM_ACCESS = True
# VPC flow logs (CIS AWS Foundations 3.9, checkov CKV2_AWS_11), to a KMS-encrypted log group.
VPC_FLOW_LOGS = True
FLOW_LOG_RETENTION_DAYS = 365
