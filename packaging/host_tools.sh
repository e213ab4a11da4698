# Sourced by the packaging tests. host_tools DIR: DIR gets a link to each
# command of this host's /usr/sbin and /usr/bin except Python's (a side
# under test may not borrow the host's interpreter) and the cloud tools
# whose answers come from this host rather than from SkyPilot: Google's
# Cloud SDK (gcloud, gsutil, bq; SkyPilot's GCP check runs `gcloud auth
# list`, answered by the SDK's own Python and state), kubectl, aws, sky.
# Each side brings its own where it has one (the venv's aws, the image's
# /usr/bin/aws), and both stop where SkyPilot says a tool is missing.
host_tools() {
  local dir=$1 tool name
  mkdir -p "$dir"
  for tool in /usr/sbin/* /usr/bin/*; do
    name=${tool##*/}
    case $name in
      python* | pip* | pydoc* | 2to3* | idle* | gcloud | gsutil | bq | \
        docker-credential-gcloud | git-credential-gcloud.sh | kubectl | aws | aws_* | sky*)
        continue ;;
    esac
    [[ -e $dir/$name ]] || ln -s "$tool" "$dir/$name"
  done
}
