"""Entry point of the source-based plugin: hosts `EksCalicoCluster` for every Pulumi language.

Pulumi runs this file (PulumiPlugin.yaml) with the plugin's virtualenv, where requirements.txt
installed this repository as `eks_calico_ebpf`; the schema is inferred from the component's
annotations, with the package's version.
"""

from eks_calico_ebpf import __version__
from eks_calico_ebpf.eks_calico_cluster import EksCalicoCluster
from eks_calico_ebpf.errors import NAMESPACE
from pulumi.provider.experimental import component_provider_host

if __name__ == "__main__":
    component_provider_host([EksCalicoCluster], NAMESPACE, version=__version__)
