#!/usr/bin/env bash
# Builds the footprint probe for a Cortex-M4F (thumbv7em-none-eabihf) and prints, per device entry
# point, one line:  footprint <entry> flash=<bytes> ram=<bytes> stack=<bytes|unknown>
#
# flash = .text + .rodata + .data (what goes into flash), ram = .data + .bss (static RAM), both
# from a build that exports the entry alone (see the loop below).
# stack = peak stack of one call, measured by running the entry on an emulated Cortex-M4F (QEMU
# mps2-an386) with valid input (which must verify) and tampered input (which must not); see
# src/bin/qemu.rs, also built for that entry alone. (In one binary with every entry, LTO inlined
# across all of them: adding manifest_process_es256_m4 there moved manifest_verify_es256_m4's
# stack from 3,080 to 3,560 bytes; alone it is 3,144.)
# Without qemu-system-arm (or with FOOTPRINT_NO_QEMU=1) it prints stack=unknown.
# Entries that need a heap (../footprint-alloc) also print heap=<peak bytes allocated by the call>.
# Toolchain: Debian's rustc-web + rust-web-src (rustc 1.96 with library sources, so -Zbuild-std
# works offline) and binutils-arm-none-eabi; installed here when missing.
set -euo pipefail
cd "$(dirname "$0")"

TARGET=thumbv7em-none-eabihf
ENTRIES=(cose_sign1_verify_es256 cose_sign1_verify_es256_m4 cose_sign1_verify_eddsa cose_mac0_verify manifest_verify_es256 manifest_verify_es256_m4 manifest_process_es256 manifest_process_es256_m4 manifest_report_sign_es256
         delta_apply_tiny delta_apply_standard attest_evidence_sign_es256 attest_evidence_sign_es256_rustcrypto identity_csr_sign_es256 identity_validate_chain_es256 identity_sealed_open baseline_p256_verify baseline_ed25519_verify baseline_hmac_sha256 baseline_p256_sign)

need=()
[ -d /usr/lib/rustlib/src/rust/library/core ] || need+=(rustc-web rust-web-src)
command -v arm-none-eabi-ld >/dev/null || need+=(binutils-arm-none-eabi)
# the P256-Cortex-M4 assembly (iot-cose feature p256-cortex-m4) is built with the cross gcc
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi)
[ -n "${FOOTPRINT_NO_QEMU:-}" ] || command -v qemu-system-arm >/dev/null || need+=(qemu-system-arm)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi

export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
# Size-optimised firmware builds select sha2's compact software SHA-256 (the unrolled default is
# about 7 KB of flash on Cortex-M; the compact one about 1 KB and slower): every entry, baselines
# included, is measured with it.
SIZE_FLAGS='--cfg sha2_backend_soft="compact"'
export RUSTFLAGS="$SIZE_FLAGS"
# The firmware-encryption entries and the filtered delta applier are built with iot-manifest's
# `encryption` and iot-delta's `filters`; the other entries as a device without them builds them
# (the encryption feature adds the encryption-info parser and the decrypting write/copy to every
# manifest path).
ENC_ENTRIES=(manifest_decrypt_a128kw_a128gcm delta_apply_tiny_filters)
ENC_FEATURES=encryption,delta-filters
# Flash and static RAM: each entry from its own build, in which it is the only exported symbol
# (FOOTPRINT_SOLO, see build.rs), as a firmware that holds only that path would build it. Linking
# every entry out of one library overstated each: LTO's inlining and the machine outliner then
# serve all entries at once, and the 8-, 16- and 32-byte constant pools hold every entry's
# constants (up to 3.5 KB more for the manifest paths). Only the probe crate rebuilds per entry.
OUT=target/$TARGET/footprint
mkdir -p "$OUT"
measure() {
  local e=$1 features=$2 stack=unknown out
  FOOTPRINT_SOLO=$e cargo build --release --locked -q -Zbuild-std=core -Zbuild-std-features=compiler-builtins-mem \
    --target "$TARGET" --target-dir target/solo --features "$features" >&2
  arm-none-eabi-ld --gc-sections -e "$e" -u "$e" "target/solo/$TARGET/release/libiot_footprint.a" -o "$OUT/$e.elf"
  # Berkeley format: text (code + rodata), data, bss
  read -r text data bss _ < <(arm-none-eabi-size -B "$OUT/$e.elf" | tail -n 1)
  # Stack: the same entry alone in the QEMU binary (src/bin/qemu.rs compiles only the entry that
  # FOOTPRINT_SOLO names), run on the emulated Cortex-M4F with valid and tampered input.
  if [ -z "${FOOTPRINT_NO_QEMU:-}" ]; then
    FOOTPRINT_SOLO=$e RUSTFLAGS="$SIZE_FLAGS -C linker=arm-none-eabi-ld -C linker-flavor=ld -C link-arg=-Tlink.x" \
      cargo build --release --locked -q -Zbuild-std=core -Zbuild-std-features=compiler-builtins-mem \
      --target "$TARGET" --target-dir target/qemu-solo --features "qemu${features:+,$features}" --bin qemu >&2
    out=$(timeout 300 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
      -semihosting-config enable=on,target=native -kernel "target/qemu-solo/$TARGET/release/qemu")
    echo "$out" >&2
    grep -q '^qemu: all entry points correct' <<<"$out" || { echo "qemu run of $e failed" >&2; exit 1; }
    stack=$(awk -v e="$e" '$1 == "stack" && $2 == e { print $3 }' <<<"$out")
    [ -n "$stack" ] || { echo "qemu run of $e printed no stack line" >&2; exit 1; }
  fi
  echo "footprint $e flash=$((text + data)) ram=$((data + bss)) stack=$stack"
}
for e in "${ENTRIES[@]}"; do measure "$e" ""; done
for e in "${ENC_ENTRIES[@]}"; do measure "$e" "$ENC_FEATURES"; done

# The device paths that need a heap (iot-twin): ../footprint-alloc, core + alloc, a 64 KiB arena
# that is not counted in ram=; heap= is the allocator's high-water mark during the call on QEMU.
ALLOC_DIR=../footprint-alloc
ALLOC_ARENA=65536
(cd "$ALLOC_DIR" && cargo build --release --locked -q -Zbuild-std=core,alloc -Zbuild-std-features=compiler-builtins-mem \
  --target "$TARGET" >&2)
declare -A STACK=() HEAPS=()
if [ -z "${FOOTPRINT_NO_QEMU:-}" ]; then
  (cd "$ALLOC_DIR" && RUSTFLAGS="$SIZE_FLAGS -C linker=arm-none-eabi-ld -C linker-flavor=ld -C link-arg=-Tlink.x" \
    cargo build --release --locked -q -Zbuild-std=core,alloc -Zbuild-std-features=compiler-builtins-mem \
    --target "$TARGET" --target-dir target/qemu --features qemu --bin qemu >&2)
  QEMU_OUT=$(timeout 300 qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
    -semihosting-config enable=on,target=native -kernel "$ALLOC_DIR/target/qemu/$TARGET/release/qemu")
  echo "$QEMU_OUT" >&2
  grep -q '^qemu: all entry points correct' <<<"$QEMU_OUT" || { echo "qemu run (alloc probe) failed" >&2; exit 1; }
  while read -r _ name bytes heap _; do STACK[$name]=$bytes; HEAPS[$name]=${heap#heap=}; done < <(grep '^stack ' <<<"$QEMU_OUT")
fi
ALLOC_LIB=$ALLOC_DIR/target/$TARGET/release/libiot_footprint_alloc.a
for e in twin_device_apply_cbor; do
  arm-none-eabi-ld --gc-sections -e "$e" -u "$e" "$ALLOC_LIB" -o "$OUT/$e.elf"
  read -r text data bss _ < <(arm-none-eabi-size -B "$OUT/$e.elf" | tail -n 1)
  echo "footprint $e flash=$((text + data)) ram=$((data + bss - ALLOC_ARENA)) stack=${STACK[$e]:-unknown} heap=${HEAPS[$e]:-unknown}"
done
