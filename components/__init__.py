"""eks-calico-ebpf: EKS on Bottlerocket with Calico's eBPF dataplane, as Pulumi components.

Import the components you need; each one takes typed, validated args and never reads config:

    from components.network.vpc import Vpc, VpcArgs
    from components.eks.cluster import EksCluster, EksClusterArgs
    from components.eks.node_group import BottlerocketNodeGroup, BottlerocketNodeGroupArgs
"""
