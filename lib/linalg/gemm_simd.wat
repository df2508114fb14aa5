;; Float64 GEMM kernel in WebAssembly SIMD (f64x2), the portable tier of lib/linalg/gemm.ts.
;;
;; C (4·mb × 4·nb, row stride ldc values) = A·B over k, on packed operands (see lib/linalg/_wasm_gemm.ts):
;;   A packed as mb row panels, panel ib = [p][4] (4 consecutive rows of A interleaved by p), 32·k bytes each;
;;   B packed as nb column panels, panel jb = [p][4] (4 consecutive columns of B interleaved by p).
;; Blocking: k in slices of 256 (one B micro-panel, 8 KiB, stays in L1), rows in blocks of 16 panels
;; (64 rows × 256 × 8 B = 128 KiB of A in L2), a 4 × 4 register tile (8 f64x2 accumulators) per call of $tile.
;; Only column panels jb in [jb0, jb1) are computed (a worker's share); with tri ≠ 0 only tiles with
;; jb ≥ ib (those touching the upper triangle). Each multiply-add is f64x2.relaxed_madd (relaxed SIMD): a
;; fused multiply-add where the CPU has one (x86-64 FMA3, every ARM64), twice the throughput of a separate
;; multiply and add; so the last bit of a sum may differ between CPUs with and without FMA. The build also
;; emits a strict twin with each relaxed_madd spelled as f64x2.add(c, f64x2.mul(a, b)) (bit-identical on every
;; engine), used where relaxed SIMD is missing or when asked for (lib/linalg/_wasm_gemm.ts).
;; Rebuild: `deno task build:wasm` (lib/linalg/_build_wasm.ts).
(module
  (import "env" "memory" (memory 1 32768 shared))

  ;; One 4 × 4 tile: C[0..4][0..4] (=|+=) Σ_{p<kc} A[0..4][p] B[p][0..4].
  (func $tile (param $ap i32) (param $bp i32) (param $cp i32) (param $kc i32) (param $ldcb i32)
    (param $first i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $a v128) (local $b0 v128) (local $b1 v128) (local $r i32)
    (if (i32.eqz (local.get $first))
      (then
        (local.set $r (local.get $cp))
        (local.set $c00 (v128.load (local.get $r)))
        (local.set $c01 (v128.load offset=16 (local.get $r)))
        (local.set $r (i32.add (local.get $r) (local.get $ldcb)))
        (local.set $c10 (v128.load (local.get $r)))
        (local.set $c11 (v128.load offset=16 (local.get $r)))
        (local.set $r (i32.add (local.get $r) (local.get $ldcb)))
        (local.set $c20 (v128.load (local.get $r)))
        (local.set $c21 (v128.load offset=16 (local.get $r)))
        (local.set $r (i32.add (local.get $r) (local.get $ldcb)))
        (local.set $c30 (v128.load (local.get $r)))
        (local.set $c31 (v128.load offset=16 (local.get $r)))))
    (loop $p
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $a (v128.load64_splat (local.get $ap)))
      (local.set $c00 (f64x2.relaxed_madd (local.get $a) (local.get $b0) (local.get $c00)))
      (local.set $c01 (f64x2.relaxed_madd (local.get $a) (local.get $b1) (local.get $c01)))
      (local.set $a (v128.load64_splat offset=8 (local.get $ap)))
      (local.set $c10 (f64x2.relaxed_madd (local.get $a) (local.get $b0) (local.get $c10)))
      (local.set $c11 (f64x2.relaxed_madd (local.get $a) (local.get $b1) (local.get $c11)))
      (local.set $a (v128.load64_splat offset=16 (local.get $ap)))
      (local.set $c20 (f64x2.relaxed_madd (local.get $a) (local.get $b0) (local.get $c20)))
      (local.set $c21 (f64x2.relaxed_madd (local.get $a) (local.get $b1) (local.get $c21)))
      (local.set $a (v128.load64_splat offset=24 (local.get $ap)))
      (local.set $c30 (f64x2.relaxed_madd (local.get $a) (local.get $b0) (local.get $c30)))
      (local.set $c31 (f64x2.relaxed_madd (local.get $a) (local.get $b1) (local.get $c31)))
      (local.set $ap (i32.add (local.get $ap) (i32.const 32)))
      (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
      (br_if $p (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))
    (local.set $r (local.get $cp))
    (v128.store (local.get $r) (local.get $c00))
    (v128.store offset=16 (local.get $r) (local.get $c01))
    (local.set $r (i32.add (local.get $r) (local.get $ldcb)))
    (v128.store (local.get $r) (local.get $c10))
    (v128.store offset=16 (local.get $r) (local.get $c11))
    (local.set $r (i32.add (local.get $r) (local.get $ldcb)))
    (v128.store (local.get $r) (local.get $c20))
    (v128.store offset=16 (local.get $r) (local.get $c21))
    (local.set $r (i32.add (local.get $r) (local.get $ldcb)))
    (v128.store (local.get $r) (local.get $c30))
    (v128.store offset=16 (local.get $r) (local.get $c31)))

  ;; C = A·B on packed panels (byte addresses ap, bp, cp; k ≥ 1), column panels [jb0, jb1), upper tiles if tri.
  (func (export "gemm") (param $ap i32) (param $bp i32) (param $cp i32) (param $mb i32) (param $k i32)
    (param $ldc i32) (param $jb0 i32) (param $jb1 i32) (param $tri i32)
    (local $ldcb i32) (local $p0 i32) (local $kc i32) (local $i0 i32) (local $i1 i32) (local $jb i32)
    (local $ib i32)
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 3)))
    (block $pdone
      (loop $ploop
        (br_if $pdone (i32.ge_u (local.get $p0) (local.get $k)))
        (local.set $kc (i32.sub (local.get $k) (local.get $p0)))
        (if (i32.gt_u (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
        (local.set $i0 (i32.const 0))
        (block $idone
          (loop $iloop
            (br_if $idone (i32.ge_u (local.get $i0) (local.get $mb)))
            (local.set $i1 (i32.add (local.get $i0) (i32.const 16)))
            (if (i32.gt_u (local.get $i1) (local.get $mb)) (then (local.set $i1 (local.get $mb))))
            (local.set $jb (local.get $jb0))
            (block $jdone
              (loop $jloop
                (br_if $jdone (i32.ge_u (local.get $jb) (local.get $jb1)))
                (local.set $ib (local.get $i0))
                (block $ibdone
                  (loop $ibloop
                    (br_if $ibdone (i32.ge_u (local.get $ib) (local.get $i1)))
                    (br_if $ibdone (i32.and (i32.ne (local.get $tri) (i32.const 0))
                      (i32.gt_u (local.get $ib) (local.get $jb))))
                    (call $tile
                      (i32.add (local.get $ap)
                        (i32.shl (i32.add (i32.mul (local.get $ib) (local.get $k)) (local.get $p0)) (i32.const 5)))
                      (i32.add (local.get $bp)
                        (i32.shl (i32.add (i32.mul (local.get $jb) (local.get $k)) (local.get $p0)) (i32.const 5)))
                      (i32.add (local.get $cp)
                        (i32.add (i32.mul (i32.shl (local.get $ib) (i32.const 2)) (local.get $ldcb))
                          (i32.shl (local.get $jb) (i32.const 5))))
                      (local.get $kc)
                      (local.get $ldcb)
                      (i32.eqz (local.get $p0)))
                    (local.set $ib (i32.add (local.get $ib) (i32.const 1)))
                    (br $ibloop)))
                (local.set $jb (i32.add (local.get $jb) (i32.const 1)))
                (br $jloop)))
            (local.set $i0 (local.get $i1))
            (br $iloop)))
        (local.set $p0 (i32.add (local.get $p0) (i32.const 256)))
        (br $ploop)))))
