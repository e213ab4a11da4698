#!/usr/bin/env bash
# Writes credentials for every cloud of the payload's default extras that
# look real to SkyPilot and its cloud libraries but grant nothing, so that
# `sky check` and `sky launch --dryrun` go as far as a real user's would
# before they meet the network.
#
# usage: packaging/fake_credentials.sh HOME_DIR
#
# Writes, under HOME_DIR (made if missing; existing files of the same names
# are overwritten, nothing else is touched):
#   .aws/credentials, .aws/config   [default] keys no AWS account has
#                                   (random AKIA... id and secret), region
#                                   us-east-1
#   .kube/config                    one context, `sky-native-fake`, whose API
#                                   server is https://127.0.0.1:PORT, a port
#                                   nobody on this machine listened on when the
#                                   script ran (KUBE_API_PORT overrides it),
#                                   with a bearer token and no CA check
#   .config/gcloud/sky-native-fake-service-account.json
#                                   a GCP service-account key file (project
#                                   sky-native-fake-project) holding a freshly
#                                   generated RSA key, so google-auth parses and
#                                   signs with it; no Google account knows it
#   .config/gcloud/configurations/config_default, .config/gcloud/active_config
#                                   gcloud's configuration naming that project
#                                   and account (what `gcloud config` reads)
#   .ssh/sky-native-fake-key[.pub]  an ed25519 key authorised nowhere
#   .sky/ssh_node_pools.yaml        one SSH node pool, `sky-native-fake-pool`,
#                                   with the host 127.0.0.1 (SSH node pools have
#                                   no port field: unreachable wherever nothing
#                                   listens on port 22, as in a fresh network
#                                   namespace) and that key
#   .slurm/config                   one Slurm cluster, `sky-native-fake-slurm`,
#                                   whose login node is 127.0.0.1 on an unused
#                                   port, with that key
# and prints on stdout the environment lines the caller must export for
# SkyPilot to find them, one `NAME=VALUE` per line (values are absolute
# paths without spaces or quotes):
#   GOOGLE_APPLICATION_CREDENTIALS=HOME_DIR/.config/gcloud/sky-native-fake-service-account.json
# Everything else is found from HOME=HOME_DIR.
#
# Needs openssl, ssh-keygen and python3 (for a free port and the JSON).
# Every run makes new keys: outputs that two `sky` runs must share come from
# one HOME_DIR.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 HOME_DIR" >&2
  exit 2
fi
mkdir -p "$1"
HOME_DIR=$(cd "$1" && pwd)

# A TCP port of 127.0.0.1 that nobody listens on now: the kernel's choice
# for a socket bound to port 0, released at once.
unused_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

random_of() {  # random_of ALPHABET LENGTH
  LC_ALL=C tr -dc "$1" </dev/urandom | head -c "$2"
}

umask 077

# AWS: the shared credentials file and config boto3 and the aws CLI read.
mkdir -p "$HOME_DIR/.aws"
cat >"$HOME_DIR/.aws/credentials" <<EOF
[default]
aws_access_key_id = AKIA$(random_of 'A-Z2-7' 16)
aws_secret_access_key = $(random_of 'A-Za-z0-9' 40)
EOF
cat >"$HOME_DIR/.aws/config" <<EOF
[default]
region = us-east-1
output = json
EOF

# Kubernetes: a kubeconfig whose only API server is not there.
mkdir -p "$HOME_DIR/.kube"
cat >"$HOME_DIR/.kube/config" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sky-native-fake
  cluster:
    server: https://127.0.0.1:${KUBE_API_PORT:-$(unused_port)}
    insecure-skip-tls-verify: true
users:
- name: sky-native-fake
  user:
    token: $(random_of 'a-z0-9' 32)
contexts:
- name: sky-native-fake
  context:
    cluster: sky-native-fake
    user: sky-native-fake
    namespace: default
current-context: sky-native-fake
EOF

# GCP: a service-account key file with a real RSA key (google-auth loads it
# with cryptography and signs its token request), and gcloud's own
# configuration naming the same project and account.
GCLOUD_DIR="$HOME_DIR/.config/gcloud"
SERVICE_ACCOUNT_FILE="$GCLOUD_DIR/sky-native-fake-service-account.json"
PROJECT=sky-native-fake-project
ACCOUNT="sky-native-fake@$PROJECT.iam.gserviceaccount.com"
mkdir -p "$GCLOUD_DIR/configurations"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
  PROJECT=$PROJECT ACCOUNT=$ACCOUNT KEY_ID=$(random_of 'a-f0-9' 40) \
    CLIENT_ID=1$(random_of '0-9' 20) python3 -c '
import json, os, sys
account = os.environ["ACCOUNT"]
json.dump({
    "type": "service_account",
    "project_id": os.environ["PROJECT"],
    "private_key_id": os.environ["KEY_ID"],
    "private_key": sys.stdin.read(),
    "client_email": account,
    "client_id": os.environ["CLIENT_ID"],
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": "https://oauth2.googleapis.com/token",
    "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
    "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                            + account.replace("@", "%40"),
    "universe_domain": "googleapis.com",
}, sys.stdout, indent=2)
print()
' >"$SERVICE_ACCOUNT_FILE"
printf 'default' >"$GCLOUD_DIR/active_config"
cat >"$GCLOUD_DIR/configurations/config_default" <<EOF
[core]
account = $ACCOUNT
project = $PROJECT
EOF

# SSH node pools and Slurm: one key, authorised on no host.
mkdir -p "$HOME_DIR/.ssh" "$HOME_DIR/.sky" "$HOME_DIR/.slurm"
rm -f "$HOME_DIR/.ssh/sky-native-fake-key" "$HOME_DIR/.ssh/sky-native-fake-key.pub"
ssh-keygen -q -t ed25519 -N '' -C sky-native-fake -f "$HOME_DIR/.ssh/sky-native-fake-key"
cat >"$HOME_DIR/.sky/ssh_node_pools.yaml" <<EOF
sky-native-fake-pool:
  user: sky-native-fake
  identity_file: ~/.ssh/sky-native-fake-key
  hosts:
    - 127.0.0.1
EOF
cat >"$HOME_DIR/.slurm/config" <<EOF
Host sky-native-fake-slurm
  HostName 127.0.0.1
  Port $(unused_port)
  User sky-native-fake
  IdentityFile ~/.ssh/sky-native-fake-key
EOF

echo "GOOGLE_APPLICATION_CREDENTIALS=$SERVICE_ACCOUNT_FILE"
