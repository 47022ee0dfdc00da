#!/usr/bin/env bash
# Validates deploy/ without an AWS account, a provider download or network beyond PyPI:
#   1. check.py (python-hcl2): every file parses, references resolve, variables are declared
#      and used, secrets have no default, the names match the app's;
#   2. checkov: static security analysis of the Terraform (and a secrets scan);
#   3. `terraform fmt -check` (or `tofu fmt -check`) when either is installed; no provider needed.
# Two throwaway venvs (python-hcl2 and checkov both install a module named hcl2), pinned by
# requirements-*.txt, made once under $DEPLOY_CHECK_DIR (default /tmp/deploy-check) and reused
# while the requirements file is unchanged. Exits non-zero when any check fails.
set -euo pipefail

deploy="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venvs="${DEPLOY_CHECK_DIR:-/tmp/deploy-check}"
python="${PYTHON:-python3}"

# venv NAME REQUIREMENTS: the venv's directory, created or refreshed when REQUIREMENTS changed.
venv() {
  local dir="$venvs/$1" requirements="$2" stamp
  stamp="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [[ ! -x "$dir/bin/python" || "$(cat "$dir/.requirements-sha256" 2>/dev/null)" != "$stamp" ]]; then
    echo "check.sh: installing $1 into $dir" >&2
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$requirements"
    echo "$stamp" >"$dir/.requirements-sha256"
  fi
}

mkdir -p "$venvs"
venv hcl2 "$deploy/requirements-hcl2.txt"
venv checkov "$deploy/requirements-checkov.txt"

status=0

echo "== check.py (python-hcl2 $("$venvs/hcl2/bin/pip" show python-hcl2 | sed -n 's/^Version: //p'))"
"$venvs/hcl2/bin/python" "$deploy/check.py" || status=1

echo "== checkov $("$venvs/checkov/bin/checkov" --version)"
# --skip-download: no call to the vendor's platform (unreachable here, and not needed).
"$venvs/checkov/bin/checkov" -d "$deploy" --compact --quiet --skip-download || status=1

formatter=""
for candidate in tofu terraform; do
  if command -v "$candidate" >/dev/null 2>&1; then
    formatter="$candidate"
    break
  fi
done
if [[ -n "$formatter" ]]; then
  echo "== $formatter fmt -check -recursive"
  (cd "$deploy" && "$formatter" fmt -check -recursive . 2>/dev/null) || {
    echo "check.sh: $formatter fmt would change the files above" >&2
    status=1
  }
else
  echo "== fmt: skipped (neither tofu nor terraform is installed)"
fi

if [[ "$status" -eq 0 ]]; then
  echo "check.sh: all checks passed"
else
  echo "check.sh: FAILED" >&2
fi
exit "$status"
