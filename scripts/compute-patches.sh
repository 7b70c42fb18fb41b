#!/usr/bin/env bash
# third_party/compute is github.com/gomlx/compute at $version with the patches in
# third_party/patches/*.patch applied in the order of their names (see third_party/PATCHES.md).
#
#   scripts/compute-patches.sh --check       rebuild upstream + patches in a temporary folder and
#                                            compare it with third_party/compute (CI runs this)
#   scripts/compute-patches.sh --vendor      replace third_party/compute by upstream + patches
#   scripts/compute-patches.sh --regenerate  rewrite the .patch files from third_party/compute
#
# --regenerate is for whoever changed the vendored tree: each file's change goes into the last
# patch that touches that file (the files a patch touches are read from its "+++ b/" lines); the
# earlier patches that touch it keep their part as it was. A file the patches do not touch yet
# has to be added to one of them by hand first (one "--- /dev/null" / "+++ b/path" entry, or
# copy it into the patch with diff -u). Each .patch keeps its leading description (the lines
# before its first "--- "). Run --check afterwards.
#
# Upstream comes from the module cache (go mod download); its files are read-only there, so the
# copies are made writable. Patches are applied with GNU patch, exactly (no fuzz); everything is
# compared byte for byte (no line-ending conversion: .gitattributes marks these files -text).
set -euo pipefail
cd "$(dirname "$0")/.."

module=github.com/gomlx/compute
version=v0.1.6
tree=third_party/compute
patches=third_party/patches

die() {
	echo "compute-patches: $*" >&2
	exit 1
}

upstream_dir() {
	local dir
	dir=$(GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	[ -n "$dir" ] && [ -d "$dir" ] || die "go mod download $module@$version gave no folder"
	echo "$dir"
}

# copy_upstream DEST: a writable copy of upstream in DEST (which must not exist).
copy_upstream() {
	cp -R "$(upstream_dir)" "$1"
	chmod -R u+w "$1"
}

# apply PATCH DEST
apply() {
	patch -d "$2" -p1 --batch --silent --forward --fuzz=0 --no-backup-if-mismatch -i "$(realpath "$1")" ||
		die "$1 does not apply to $2 (upstream + the patches before it)"
}

patch_files() { ls "$patches"/*.patch 2>/dev/null || die "no patches in $patches"; }

# build DEST: upstream with all patches applied, in DEST.
build() {
	copy_upstream "$1"
	local p
	for p in $(patch_files); do
		apply "$p" "$1"
	done
	find "$1" -name '*.orig' -o -name '*.rej' | grep -q . && die "leftover .orig/.rej files in $1" || true
}

# touched PATCH: the paths a patch writes.
touched() { sed -n -e 's#^+++ b/\([^[:space:]]*\).*#\1#p' -e 's#^--- a/\([^[:space:]]*\).*#\1#p' "$1" | awk '!seen[$0]++'; }

# filediff OLD NEW PATH: the unified diff of one file between two trees, as a/PATH b/PATH.
filediff() {
	local a="$1/$3" b="$2/$3" la="a/$3" lb="b/$3"
	[ -e "$a" ] || { a=/dev/null; la=/dev/null; }
	[ -e "$b" ] || { b=/dev/null; lb=/dev/null; }
	diff -u --label "$la" --label "$lb" "$a" "$b" || [ $? -eq 1 ]
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/compute-patches.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

case "${1:-}" in
--check)
	build "$tmp/compute"
	if ! diff -r "$tmp/compute" "$tree" >"$tmp/diff"; then
		cat "$tmp/diff" >&2
		die "$tree is not $module@$version + $patches/*.patch (differences above). Edit the tree and run scripts/compute-patches.sh --regenerate, or edit a patch and run --vendor."
	fi
	echo "compute-patches: $tree = $module@$version + $(patch_files | wc -l) patches"
	;;
--vendor)
	build "$tmp/compute"
	rm -rf "$tree"
	cp -R "$tmp/compute" "$tree"
	echo "compute-patches: $tree rebuilt from $module@$version + $(patch_files | wc -l) patches"
	;;
--regenerate)
	# old: upstream + the old patches, one at a time; new: upstream + the new ones.
	copy_upstream "$tmp/old"
	copy_upstream "$tmp/new"
	all=$(patch_files)
	for p in $all; do touched "$p" | sed "s|^|$p |"; done >"$tmp/owners" # "patch path" lines
	awk '{print $2}' "$tmp/owners" | sort -u >"$tmp/owned"
	(cd "$tree" && find . -type f | sed 's|^\./||') | sort >"$tmp/tree-files"
	(cd "$tmp/new" && find . -type f | sed 's|^\./||') | sort >"$tmp/upstream-files"
	# A file that differs from upstream must be owned by a patch.
	while read -r f; do
		if ! grep -qxF "$f" "$tmp/owned" && ! cmp -s "$tree/$f" "$tmp/new/$f"; then
			die "$f differs from upstream but no patch touches it: add it to one (see the top of $0)"
		fi
	done < <(sort -u "$tmp/tree-files" "$tmp/upstream-files")
	for p in $all; do
		apply "$p" "$tmp/old"
		out="$tmp/$(basename "$p")"
		sed -n '/^--- /q;p' "$p" >"$out" # the description
		for f in $(touched "$p"); do
			# The last patch to touch f takes the tree's version; an earlier one keeps its own.
			last=$(awk -v f="$f" '$2 == f {p = $1} END {print p}' "$tmp/owners")
			src="$tmp/old"
			[ "$last" = "$p" ] && src="$tree"
			filediff "$tmp/new" "$src" "$f" >>"$out"
			if [ -e "$src/$f" ]; then
				mkdir -p "$(dirname "$tmp/new/$f")"
				cp "$src/$f" "$tmp/new/$f"
			else
				rm -f "$tmp/new/$f"
			fi
		done
	done
	for p in $all; do cp "$tmp/$(basename "$p")" "$p"; done
	echo "compute-patches: rewrote $(echo "$all" | wc -w) patches; now run $0 --check"
	;;
*)
	sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
