"""eks-calico-ebpf: EKS on Bottlerocket with Calico's eBPF dataplane, as Pulumi components.

Import the components you need; each one takes typed, validated args and never reads config
(installed from the wheel the package is `eks_calico_ebpf`; in the repo it is `components`):

    from eks_calico_ebpf.network.vpc import Vpc, VpcArgs
    from eks_calico_ebpf.eks.cluster import EksCluster, EksClusterArgs
    from eks_calico_ebpf.eks.node_group import BottlerocketNodeGroup, BottlerocketNodeGroupArgs

or the whole architecture from one component, `eks_calico_ebpf.eks_calico_cluster.EksCalicoCluster`.
"""

__version__ = "0.1.0"
