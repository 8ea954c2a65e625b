/* spv_khr_coopmat.h: the numbers of SPV_KHR_cooperative_matrix, which the
 * spirv-headers of Debian 12 (1.3.239) predate. This is the one place they
 * are written down; docs/spirv.md "Cooperative matrices" says why.
 *
 * Source: the Khronos SPIR-V registry, extensions/KHR/
 * SPV_KHR_cooperative_matrix.asciidoc (revision 10, 2023-06-16 approval),
 * and the same values in SPIRV-Headers' include/spirv/unified1/
 * spirv.core.grammar.json ("CooperativeMatrixKHR" capability 6022, opcodes
 * 4456..4460, operand kinds CooperativeMatrixUse, CooperativeMatrixLayout,
 * CooperativeMatrixOperands). Operand lists, in the registry's order:
 *
 *   OpTypeCooperativeMatrixKHR   Result, ComponentType, Scope, Rows, Columns, Use
 *                                (Scope, Rows, Columns, Use: ids of 32-bit integer constants)
 *   OpCooperativeMatrixLoadKHR   ResultType, Result, Pointer, MemoryLayout,
 *                                [Stride], [MemoryOperand literal, its extra operands]
 *   OpCooperativeMatrixStoreKHR  Pointer, Object, MemoryLayout, [Stride], [MemoryOperand ...]
 *   OpCooperativeMatrixMulAddKHR ResultType, Result, A, B, C, [CooperativeMatrixOperands literal]
 *   OpCooperativeMatrixLengthKHR ResultType (u32), Result, Type
 *
 * Stride counts elements of the pointer's pointee type (the extension's
 * issue "Should strides be in bytes or elements?"). The extension needs the
 * Vulkan memory model in a Shader module. */
#ifndef CLAW_SPV_KHR_COOPMAT_H
#define CLAW_SPV_KHR_COOPMAT_H

#define SPV_KHR_COOPMAT_EXTENSION "SPV_KHR_cooperative_matrix"

enum {
    SPV_KHR_OP_TYPE_COOPMAT = 4456,   /* OpTypeCooperativeMatrixKHR */
    SPV_KHR_OP_COOPMAT_LOAD = 4457,   /* OpCooperativeMatrixLoadKHR */
    SPV_KHR_OP_COOPMAT_STORE = 4458,  /* OpCooperativeMatrixStoreKHR */
    SPV_KHR_OP_COOPMAT_MULADD = 4459, /* OpCooperativeMatrixMulAddKHR */
    SPV_KHR_OP_COOPMAT_LENGTH = 4460, /* OpCooperativeMatrixLengthKHR */

    SPV_KHR_CAP_COOPMAT = 6022, /* Capability CooperativeMatrixKHR */

    /* Cooperative Matrix Use */
    SPV_KHR_COOPMAT_USE_A = 0,   /* MatrixAKHR */
    SPV_KHR_COOPMAT_USE_B = 1,   /* MatrixBKHR */
    SPV_KHR_COOPMAT_USE_ACC = 2, /* MatrixAccumulatorKHR */

    /* Cooperative Matrix Layout */
    SPV_KHR_COOPMAT_ROW_MAJOR = 0, /* RowMajorKHR */
    SPV_KHR_COOPMAT_COL_MAJOR = 1, /* ColumnMajorKHR */

    /* Cooperative Matrix Operands (a bit mask) */
    SPV_KHR_COOPMAT_OPERANDS_NONE = 0x0,
    SPV_KHR_COOPMAT_A_SIGNED = 0x1,      /* MatrixASignedComponentsKHR */
    SPV_KHR_COOPMAT_B_SIGNED = 0x2,      /* MatrixBSignedComponentsKHR */
    SPV_KHR_COOPMAT_C_SIGNED = 0x4,      /* MatrixCSignedComponentsKHR */
    SPV_KHR_COOPMAT_RESULT_SIGNED = 0x8, /* MatrixResultSignedComponentsKHR */
    SPV_KHR_COOPMAT_SATURATING = 0x10,   /* SaturatingAccumulationKHR */
};

#endif
