"""Exposure: the AWS Load Balancer Controller, NLB Services with NetworkPolicies, a demo app."""
