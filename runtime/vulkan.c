/* vulkan.c: the Vulkan backend of libclawrt (docs/runtime.md).
 *
 * libvulkan.so.1 is opened with dlopen the first time devices are listed and
 * every entry point comes from vkGetInstanceProcAddr (vulkan.def), so
 * nothing links against Vulkan; the headers only give the types.
 *
 * How a kernel runs (conventions of docs/spirv.md):
 *   - each image is one SPIR-V module, one GLCompute entry point per kernel,
 *     named after it;
 *   - pointers are PhysicalStorageBuffer64 addresses, so every buffer is
 *     created with VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT and its address
 *     is the claw_buffer_address; no descriptor sets exist;
 *   - the arguments, packed in C layout by the core, are the push constants;
 *     when they exceed RT_PUSH_ARGS_LIMIT bytes (so that the status-word
 *     address below still fits before the launch block) they go to a small
 *     buffer and its u64 address is pushed instead; the launch block
 *     (block_base_x and the whole grid) follows at RT_PUSH_LAUNCH_OFFSET, so
 *     a grid wider than maxComputeWorkGroupCount[0] runs as several
 *     dispatches that each push their first block (split_dispatch) and share
 *     the launch's status word;
 *   - the block size is given by specialization constants SpecId 0, 1, 2,
 *     so a pipeline is built (and cached) per kernel and block size;
 *   - in modules made by clawc every kernel's push constants end with the
 *     address of a status word, which the loop-limit probe (SpecId 3, on
 *     llvmpipe only) sets when the driver cut a loop short ("driver loop
 *     limits" below).
 * Each launch records one command buffer, opened by a barrier that orders it
 * after earlier launches and copies, and submits it with a fence;
 * synchronize waits for every fence. Streams (claw_stream) share the one
 * queue: since every submission waits for all earlier ones, work runs in
 * submission order, which keeps each stream in order and makes
 * claw_stream_wait hold by construction. Each submission gets a sequence
 * number; a stream remembers its last one and an event the one that
 * recorded it (plus a timestamp query), so waiting for either is waiting
 * for one fence. Buffers live in host-visible coherent
 * memory when the device has such device-local memory (lavapipe, integrated
 * GPUs, resizable BAR), otherwise in device-local memory reached through
 * staging copies. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include "rt.h"

/* VK_KHR_cooperative_matrix (Vulkan registry, vk.xml, extension 507): the
 * Vulkan headers of Debian 12 (1.3.239) predate it, so its numbers and
 * structures are written here, once (docs/runtime.md "Cooperative
 * matrices"). The layouts are the registry's. */
#define CLAW_VK_KHR_COOPMAT_NAME "VK_KHR_cooperative_matrix"
enum {
    CLAW_VK_STYPE_COOPMAT_FEATURES = 1000506000,   /* ..._PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR */
    CLAW_VK_STYPE_COOPMAT_PROPERTIES = 1000506001, /* ..._COOPERATIVE_MATRIX_PROPERTIES_KHR */
};
typedef struct ClawVkCoopmatFeatures {
    VkStructureType sType;
    void *pNext;
    VkBool32 cooperativeMatrix;
    VkBool32 cooperativeMatrixRobustBufferAccess;
} ClawVkCoopmatFeatures;
typedef struct ClawVkCoopmatProperties {
    VkStructureType sType;
    void *pNext;
    uint32_t MSize, NSize, KSize;
    int32_t AType, BType, CType, ResultType; /* VkComponentTypeKHR */
    VkBool32 saturatingAccumulation;
    int32_t scope;                           /* VkScopeKHR */
} ClawVkCoopmatProperties;
typedef VkResult(VKAPI_PTR *ClawPfnCoopmatProps)(VkPhysicalDevice, uint32_t *,
                                                 ClawVkCoopmatProperties *);

static struct {
    void *lib;
    PFN_vkGetInstanceProcAddr get_proc;
#define VK_GLOBAL_FN(name) PFN_##name name;
#define VK_FN(name)        PFN_##name name;
#include "vulkan.def"
    /* vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR, NULL when the
     * loader has none */
    ClawPfnCoopmatProps coopmat_props;
#undef VK_GLOBAL_FN
#undef VK_FN
    VkInstance instance;
    uint32_t api_version;   /* the instance's */
    VkPhysicalDevice *phys; /* usable devices, in the driver's order */
    uint32_t nphys;
} vk;

/* One pipeline per kernel and block size. */
typedef struct VkPipeEntry {
    uint32_t block[3];
    VkPipeline pipeline;
} VkPipeEntry;

typedef struct VkMem {
    VkBuffer buffer;
    VkDeviceMemory memory;
    void *map; /* host pointer when host-visible */
} VkMem;

/* The hidden status word of a kernel compiled by clawc (docs/spirv.md
 * "Driver loop limits"). */
typedef struct VkStatusWord {
    bool present;     /* the kernel's push constants carry its address */
    uint32_t offset;  /* where in the push constants */
    VkMem mem;        /* the word, on drivers with a loop limiter only */
    uint64_t address; /* 0 when mem is absent: the kernel never writes it */
} VkStatusWord;

typedef struct VkKernel {
    VkPipelineLayout layout;
    uint32_t push_size; /* bytes of push constants before the launch block (0: none) */
    bool indirect;      /* push constants hold the address of an argument buffer */
    VkPipeEntry *pipes;
    size_t npipes, cap;
    VkStatusWord status;
} VkKernel;

/* A submitted launch or copy, until it is retired. */
typedef struct VkPending {
    VkCommandBuffer cmd;
    VkFence fence;
    VkMem args;          /* indirect arguments, or buffer == VK_NULL_HANDLE */
    VkMem staging;       /* claw_write_on/claw_read_on bytes, or buffer == VK_NULL_HANDLE */
    void *host_dst;      /* claw_read_on: where staging goes when the copy is done */
    size_t host_bytes;
    uint64_t seq;        /* submission number (VkDev.next_seq) */
    claw_kernel *kernel; /* the launch's kernel (its status word), NULL for copies */
} VkPending;

/* Launches that the driver's loop limiter cut short, kept from the moment
 * their fences are seen until a wait reports them. */
typedef struct VkLoopCut {
    unsigned count;   /* launches found cut since the last report */
    char kernel[128]; /* the first one's kernel */
} VkLoopCut;

typedef struct VkStreamState {
    uint64_t last; /* sequence number of its latest submission (0: none) */
} VkStreamState;

typedef struct VkEventState {
    VkQueryPool pool; /* one timestamp query, or VK_NULL_HANDLE without timestamps */
    uint64_t seq;     /* the submission that recorded it */
} VkEventState;

typedef struct VkDev {
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    VkCommandPool pool;
    uint32_t mem_direct; /* device-local + host-visible + coherent type, or UINT32_MAX */
    uint32_t mem_device; /* device-local type */
    uint32_t mem_host;   /* host-visible + coherent type (staging) */
    uint32_t max_push;
    uint32_t dispatch_max_x; /* maxComputeWorkGroupCount[0]: the split width */
    bool timestamps;         /* the queue family writes timestamps */
    uint64_t timestamp_mask; /* its timestampValidBits */
    double timestamp_ns;     /* timestampPeriod: nanoseconds per tick */
    uint64_t next_seq;       /* the last submission's number */
    uint64_t done_seq;       /* every submission up to this one is retired */
    uint64_t default_last;   /* the default stream's latest submission */
    VkPending *pending;
    size_t npending, cap;
    bool loop_limiter; /* the driver ends long-running loops early (llvmpipe) */
    VkLoopCut loop_cut;
    /* subgroups (docs/spirv.md "How subgroups are formed") */
    uint32_t sg_size;         /* VkPhysicalDeviceSubgroupProperties::subgroupSize */
    bool sg_require_size;     /* pipelines can ask for sg_size (subgroupSizeControl) */
    uint32_t sg_max_subgroups; /* maxComputeWorkgroupSubgroups */
    bool sg_full;             /* computeFullSubgroups */
} VkDev;

/* VkResult names for messages (Vulkan 1.3 §3.6 "Return Codes"). */
static const struct {
    VkResult result;
    const char *name;
} vk_result_names[] = {
    {VK_SUCCESS, "VK_SUCCESS"},
    {VK_NOT_READY, "VK_NOT_READY"},
    {VK_TIMEOUT, "VK_TIMEOUT"},
    {VK_INCOMPLETE, "VK_INCOMPLETE"},
    {VK_ERROR_OUT_OF_HOST_MEMORY, "VK_ERROR_OUT_OF_HOST_MEMORY"},
    {VK_ERROR_OUT_OF_DEVICE_MEMORY, "VK_ERROR_OUT_OF_DEVICE_MEMORY"},
    {VK_ERROR_INITIALIZATION_FAILED, "VK_ERROR_INITIALIZATION_FAILED"},
    {VK_ERROR_DEVICE_LOST, "VK_ERROR_DEVICE_LOST"},
    {VK_ERROR_MEMORY_MAP_FAILED, "VK_ERROR_MEMORY_MAP_FAILED"},
    {VK_ERROR_LAYER_NOT_PRESENT, "VK_ERROR_LAYER_NOT_PRESENT"},
    {VK_ERROR_EXTENSION_NOT_PRESENT, "VK_ERROR_EXTENSION_NOT_PRESENT"},
    {VK_ERROR_FEATURE_NOT_PRESENT, "VK_ERROR_FEATURE_NOT_PRESENT"},
    {VK_ERROR_INCOMPATIBLE_DRIVER, "VK_ERROR_INCOMPATIBLE_DRIVER"},
    {VK_ERROR_TOO_MANY_OBJECTS, "VK_ERROR_TOO_MANY_OBJECTS"},
    {VK_ERROR_FORMAT_NOT_SUPPORTED, "VK_ERROR_FORMAT_NOT_SUPPORTED"},
    {VK_ERROR_FRAGMENTED_POOL, "VK_ERROR_FRAGMENTED_POOL"},
    {VK_ERROR_UNKNOWN, "VK_ERROR_UNKNOWN"},
    {VK_ERROR_OUT_OF_POOL_MEMORY, "VK_ERROR_OUT_OF_POOL_MEMORY"},
    {VK_ERROR_INVALID_EXTERNAL_HANDLE, "VK_ERROR_INVALID_EXTERNAL_HANDLE"},
    {VK_ERROR_FRAGMENTATION, "VK_ERROR_FRAGMENTATION"},
    {VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS, "VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS"},
    {VK_PIPELINE_COMPILE_REQUIRED, "VK_PIPELINE_COMPILE_REQUIRED"},
    {VK_ERROR_INVALID_SHADER_NV, "VK_ERROR_INVALID_SHADER_NV"},
};

static const char *
vk_result_name(VkResult r)
{
    for (size_t i = 0; i < sizeof vk_result_names / sizeof vk_result_names[0]; i++)
        if (vk_result_names[i].result == r)
            return vk_result_names[i].name;
    return "VkResult (unknown value)";
}

static claw_status
vk_fail(VkResult r, const char *what)
{
    claw_status s = CLAW_ERROR_DEVICE;
    if (r == VK_ERROR_OUT_OF_HOST_MEMORY || r == VK_ERROR_OUT_OF_DEVICE_MEMORY)
        s = CLAW_ERROR_OUT_OF_MEMORY;
    else if (r == VK_ERROR_DEVICE_LOST)
        s = CLAW_ERROR_LAUNCH_FAILED;
    return rt_error(s, "Vulkan: %s failed: %s (%d)", what, vk_result_name(r), (int)r);
}

/* ---- instance and device list ------------------------------------------ */

static bool
device_usable(VkPhysicalDevice pd)
{
    VkPhysicalDeviceProperties p;
    vk.vkGetPhysicalDeviceProperties(pd, &p);
    if (VK_API_VERSION_MAJOR(p.apiVersion) == 1 && VK_API_VERSION_MINOR(p.apiVersion) < 2)
        return false;
    VkPhysicalDeviceVulkan12Features f12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceFeatures2 f = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                   .pNext = &f12};
    vk.vkGetPhysicalDeviceFeatures2(pd, &f);
    return f12.bufferDeviceAddress;
}

/* Keeps the instance and libvulkan.so.1 for the life of the process: the
 * loader unloads the driver with the instance, and drivers (Mesa's among
 * them) leave allocations and thread-local destructors behind that must not
 * outlive their code. A later vk_init reuses both. */
static void
vk_shutdown(void)
{}

/* Undoes a vk_init that failed half-way. */
static void
vk_init_failed(void)
{
    if (vk.instance && vk.vkDestroyInstance)
        vk.vkDestroyInstance(vk.instance, NULL);
    free(vk.phys);
    void *lib = vk.lib;
    memset(&vk, 0, sizeof vk);
    vk.lib = lib;
}

static claw_status
vk_init(int *count)
{
    *count = 0;
    if (vk.instance) {
        *count = (int)vk.nphys;
        return CLAW_SUCCESS;
    }
    if (!vk.lib)
        vk.lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!vk.lib)
        return rt_error(CLAW_ERROR_NO_DEVICE, "Vulkan: cannot open libvulkan.so.1: %s", dlerror());
    vk.get_proc = (PFN_vkGetInstanceProcAddr)dlsym(vk.lib, "vkGetInstanceProcAddr");
    if (!vk.get_proc) {
        vk_init_failed();
        return rt_error(CLAW_ERROR_NO_DEVICE,
                        "Vulkan: libvulkan.so.1 has no vkGetInstanceProcAddr");
    }
#define VK_GLOBAL_FN(name) vk.name = (PFN_##name)vk.get_proc(VK_NULL_HANDLE, #name);
#define VK_FN(name)
#include "vulkan.def"
#undef VK_GLOBAL_FN
#undef VK_FN
    uint32_t version = VK_API_VERSION_1_0;
    if (!vk.vkCreateInstance || !vk.vkEnumerateInstanceVersion ||
        vk.vkEnumerateInstanceVersion(&version) != VK_SUCCESS || version < VK_API_VERSION_1_2) {
        vk_init_failed();
        return rt_error(CLAW_ERROR_NO_DEVICE, "Vulkan: the loader offers no Vulkan 1.2");
    }
    vk.api_version = version >= VK_API_VERSION_1_3 ? VK_API_VERSION_1_3 : VK_API_VERSION_1_2;
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "libclawrt",
        .pEngineName = "OpenClaw",
        .apiVersion = vk.api_version,
    };
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &app};
    VkResult r = vk.vkCreateInstance(&ici, NULL, &vk.instance);
    if (r != VK_SUCCESS) {
        vk.instance = VK_NULL_HANDLE;
        vk_init_failed();
        return vk_fail(r, "vkCreateInstance");
    }
#define VK_GLOBAL_FN(name)
#define VK_FN(name)                                                                                \
    if (!(vk.name = (PFN_##name)vk.get_proc(vk.instance, #name))) {                                \
        vk_init_failed();                                                                          \
        return rt_error(CLAW_ERROR_NO_DEVICE, "Vulkan: the loader lacks %s", #name);               \
    }
#include "vulkan.def"
#undef VK_GLOBAL_FN
#undef VK_FN
    vk.coopmat_props = (ClawPfnCoopmatProps)vk.get_proc(
        vk.instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
    uint32_t n = 0;
    r = vk.vkEnumeratePhysicalDevices(vk.instance, &n, NULL);
    VkPhysicalDevice *all = n ? calloc(n, sizeof *all) : NULL;
    vk.phys = n ? calloc(n, sizeof *vk.phys) : NULL;
    if (r != VK_SUCCESS || (n && (!all || !vk.phys)) ||
        (n && vk.vkEnumeratePhysicalDevices(vk.instance, &n, all) < 0)) {
        free(all);
        vk_init_failed();
        return rt_error(CLAW_ERROR_NO_DEVICE, "Vulkan: cannot list physical devices");
    }
    for (uint32_t i = 0; i < n; i++)
        if (device_usable(all[i]))
            vk.phys[vk.nphys++] = all[i];
    free(all);
    *count = (int)vk.nphys;
    return CLAW_SUCCESS;
}

static bool
has_extension(const VkExtensionProperties *exts, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(exts[i].extensionName, name) == 0)
            return true;
    return false;
}

static uint32_t
find_memory(const VkPhysicalDeviceMemoryProperties *mp, VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < mp->memoryTypeCount; i++)
        if ((mp->memoryTypes[i].propertyFlags & want) == want)
            return i;
    return UINT32_MAX;
}

/* Whether the device needs the loop-limit check: llvmpipe, whose loop
 * limiter is described under "driver loop limits" below, unless
 * CLAW_VULKAN_LOOP_CHECK=0 turns the check off (to measure its cost;
 * docs/runtime.md). */
static bool
driver_has_loop_limiter(VkPhysicalDevice pd)
{
    const char *env = getenv("CLAW_VULKAN_LOOP_CHECK");
    if (env && strcmp(env, "0") == 0)
        return false;
    VkPhysicalDeviceDriverProperties drv = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &drv};
    vk.vkGetPhysicalDeviceProperties2(pd, &p2);
    return drv.driverID == VK_DRIVER_ID_MESA_LLVMPIPE;
}

static void
vk_device_close(claw_device *dev)
{
    VkDev *d = dev->native;
    if (!d)
        return;
    if (d->device) {
        vk.vkDeviceWaitIdle(d->device);
        if (d->pool)
            vk.vkDestroyCommandPool(d->device, d->pool, NULL);
        vk.vkDestroyDevice(d->device, NULL);
    }
    free(d->pending);
    free(d);
    dev->native = NULL;
}

static claw_status
vk_device_open(claw_device *dev)
{
    VkDev *d = calloc(1, sizeof *d);
    if (!d)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "Vulkan: out of memory");
    dev->native = d;
    d->phys = vk.phys[dev->native_index];

    /* Features: query what the device has, enable the subset kernels use
     * (SPIR-V capabilities the emitter may declare, docs/spirv.md). */
    uint32_t next = 0;
    vk.vkEnumerateDeviceExtensionProperties(d->phys, NULL, &next, NULL);
    VkExtensionProperties *exts = next ? calloc(next, sizeof *exts) : NULL;
    if (next && exts)
        vk.vkEnumerateDeviceExtensionProperties(d->phys, NULL, &next, exts);
    bool atomic_float =
        exts && has_extension(exts, next, VK_EXT_SHADER_ATOMIC_FLOAT_EXTENSION_NAME);
    /* subgroup size control: core in Vulkan 1.3, VK_EXT_subgroup_size_control before */
    VkPhysicalDeviceProperties dp;
    vk.vkGetPhysicalDeviceProperties(d->phys, &dp);
    bool core13 = dp.apiVersion >= VK_API_VERSION_1_3 && vk.api_version >= VK_API_VERSION_1_3;
    bool size_ext = !core13 && exts &&
                    has_extension(exts, next, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
    bool size_ctl = core13 || size_ext;
    /* cooperative matrices: the extension, its feature and a 16x16x16 f16 x
     * f16 + f32 subgroup shape (rt_coopmat_fits), on a Vulkan 1.3 device
     * with the Vulkan memory model (the image is SPIR-V 1.6 and declares it) */
    bool coop_ext = core13 && exts && vk.coopmat_props &&
                    has_extension(exts, next, CLAW_VK_KHR_COOPMAT_NAME);
    free(exts);
    ClawVkCoopmatFeatures qcm = {.sType = (VkStructureType)CLAW_VK_STYPE_COOPMAT_FEATURES};

    VkPhysicalDeviceShaderAtomicFloatFeaturesEXT qaf = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_ATOMIC_FLOAT_FEATURES_EXT};
    VkPhysicalDeviceSubgroupSizeControlFeatures qsc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES,
        .pNext = atomic_float ? &qaf : NULL};
    VkPhysicalDeviceVulkan12Features q12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
        .pNext = size_ctl ? (void *)&qsc : atomic_float ? (void *)&qaf : NULL};
    VkPhysicalDeviceVulkan11Features q11 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES, .pNext = &q12};
    VkPhysicalDeviceFeatures2 q = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                   .pNext = &q11};
    vk.vkGetPhysicalDeviceFeatures2(d->phys, &q);
    if (coop_ext) {
        VkPhysicalDeviceFeatures2 qc = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                        .pNext = &qcm};
        vk.vkGetPhysicalDeviceFeatures2(d->phys, &qc);
    }
#define COOP_NO "cooperative matrices: no ("
    const char *coop_why = !core13     ? COOP_NO "the device offers no Vulkan 1.3)"
                           : !coop_ext ? COOP_NO "no VK_KHR_cooperative_matrix extension)"
                           : !qcm.cooperativeMatrix
                               ? COOP_NO "the cooperativeMatrix feature is off)"
                               : COOP_NO "no Vulkan memory model, shaderFloat16 or 16-bit storage)";
    bool coop = coop_ext && qcm.cooperativeMatrix && q12.vulkanMemoryModel &&
                q12.vulkanMemoryModelDeviceScope && q12.shaderFloat16 &&
                q11.storageBuffer16BitAccess;
    if (coop) {
        uint32_t ncm = 0;
        ClawVkCoopmatProperties *cm = NULL;
        RtCoopmatShape *shapes = NULL;
        if (vk.coopmat_props(d->phys, &ncm, NULL) == VK_SUCCESS && ncm > 0 && ncm < 4096 &&
            (cm = calloc(ncm, sizeof *cm)) && (shapes = calloc(ncm, sizeof *shapes))) {
            for (uint32_t i = 0; i < ncm; i++)
                cm[i].sType = (VkStructureType)CLAW_VK_STYPE_COOPMAT_PROPERTIES;
            if (vk.coopmat_props(d->phys, &ncm, cm) < 0)
                ncm = 0;
            for (uint32_t i = 0; i < ncm; i++)
                shapes[i] = (RtCoopmatShape){cm[i].MSize, cm[i].NSize, cm[i].KSize,
                                             (uint32_t)cm[i].AType, (uint32_t)cm[i].BType,
                                             (uint32_t)cm[i].CType, (uint32_t)cm[i].ResultType,
                                             cm[i].saturatingAccumulation, (uint32_t)cm[i].scope};
            coop = rt_coopmat_fits(shapes, ncm);
            if (!coop)
                coop_why = COOP_NO "no 16x16x16 f16 x f16 + f32 subgroup shape)";
        } else {
            coop = false;
            coop_why = COOP_NO "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR lists nothing)";
        }
        free(cm);
        free(shapes);
    }
#undef COOP_NO
    dev->features_note = coop ? "cooperative matrices: yes (VK_KHR_cooperative_matrix, "
                                "16x16x16 f16 x f16 + f32, subgroup scope)"
                              : coop_why;

    VkPhysicalDeviceShaderAtomicFloatFeaturesEXT eaf = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_ATOMIC_FLOAT_FEATURES_EXT,
        .shaderBufferFloat32Atomics = qaf.shaderBufferFloat32Atomics,
        .shaderBufferFloat32AtomicAdd = qaf.shaderBufferFloat32AtomicAdd,
        .shaderSharedFloat32Atomics = qaf.shaderSharedFloat32Atomics,
        .shaderSharedFloat32AtomicAdd = qaf.shaderSharedFloat32AtomicAdd,
    };
    VkPhysicalDeviceSubgroupSizeControlFeatures esc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES,
        .pNext = atomic_float ? &eaf : NULL,
        .subgroupSizeControl = size_ctl && qsc.subgroupSizeControl,
        .computeFullSubgroups = size_ctl && qsc.computeFullSubgroups,
    };
    ClawVkCoopmatFeatures ecm = {.sType = (VkStructureType)CLAW_VK_STYPE_COOPMAT_FEATURES,
                                 .pNext = size_ctl ? (void *)&esc : atomic_float ? (void *)&eaf : NULL,
                                 .cooperativeMatrix = VK_TRUE};
    VkPhysicalDeviceVulkan12Features e12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
        .pNext = coop ? (void *)&ecm : size_ctl ? (void *)&esc : atomic_float ? (void *)&eaf : NULL,
        .bufferDeviceAddress = VK_TRUE,
        .storageBuffer8BitAccess = q12.storageBuffer8BitAccess,
        .uniformAndStorageBuffer8BitAccess = q12.uniformAndStorageBuffer8BitAccess,
        .storagePushConstant8 = q12.storagePushConstant8,
        .shaderInt8 = q12.shaderInt8,
        .shaderFloat16 = q12.shaderFloat16,
        .shaderBufferInt64Atomics = q12.shaderBufferInt64Atomics,
        .shaderSharedInt64Atomics = q12.shaderSharedInt64Atomics,
        .vulkanMemoryModel = q12.vulkanMemoryModel,
        .vulkanMemoryModelDeviceScope = q12.vulkanMemoryModelDeviceScope,
        .scalarBlockLayout = q12.scalarBlockLayout,
    };
    VkPhysicalDeviceVulkan11Features e11 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
        .pNext = &e12,
        .storageBuffer16BitAccess = q11.storageBuffer16BitAccess,
        .uniformAndStorageBuffer16BitAccess = q11.uniformAndStorageBuffer16BitAccess,
        .storagePushConstant16 = q11.storagePushConstant16,
    };
    VkPhysicalDeviceFeatures2 ef = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
        .pNext = &e11,
        .features = {.shaderFloat64 = q.features.shaderFloat64,
                     .shaderInt64 = q.features.shaderInt64,
                     .shaderInt16 = q.features.shaderInt16},
    };

    uint32_t nq = 0;
    vk.vkGetPhysicalDeviceQueueFamilyProperties(d->phys, &nq, NULL);
    VkQueueFamilyProperties qf[64];
    if (nq > 64)
        nq = 64;
    vk.vkGetPhysicalDeviceQueueFamilyProperties(d->phys, &nq, qf);
    d->queue_family = UINT32_MAX;
    for (uint32_t i = 0; i < nq && d->queue_family == UINT32_MAX; i++)
        if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
            d->queue_family = i;
    if (d->queue_family == UINT32_MAX) {
        vk_device_close(dev);
        return rt_error(CLAW_ERROR_NO_DEVICE, "Vulkan: device has no compute queue");
    }
    float prio = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = d->queue_family,
                                   .queueCount = 1,
                                   .pQueuePriorities = &prio};
    const char *ext_names[3];
    uint32_t next_names = 0;
    if (coop)
        ext_names[next_names++] = CLAW_VK_KHR_COOPMAT_NAME;
    if (atomic_float)
        ext_names[next_names++] = VK_EXT_SHADER_ATOMIC_FLOAT_EXTENSION_NAME;
    if (size_ext)
        ext_names[next_names++] = VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME;
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .pNext = &ef,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci,
                              .enabledExtensionCount = next_names,
                              .ppEnabledExtensionNames = ext_names};
    VkResult r = vk.vkCreateDevice(d->phys, &dci, NULL, &d->device);
    if (r != VK_SUCCESS) {
        d->device = VK_NULL_HANDLE;
        vk_device_close(dev);
        return vk_fail(r, "vkCreateDevice");
    }
    vk.vkGetDeviceQueue(d->device, d->queue_family, 0, &d->queue);
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                   .queueFamilyIndex = d->queue_family};
    if ((r = vk.vkCreateCommandPool(d->device, &pci, NULL, &d->pool)) != VK_SUCCESS) {
        d->pool = VK_NULL_HANDLE;
        vk_device_close(dev);
        return vk_fail(r, "vkCreateCommandPool");
    }

    /* Properties and limits. */
    VkPhysicalDeviceSubgroupSizeControlProperties scp = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
    VkPhysicalDeviceSubgroupProperties sub = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
        .pNext = size_ctl ? &scp : NULL};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &sub};
    vk.vkGetPhysicalDeviceProperties2(d->phys, &p2);
    const VkPhysicalDeviceLimits *lim = &p2.properties.limits;
    claw_device_props *pr = &dev->props;
    snprintf(pr->name, sizeof pr->name, "%s", p2.properties.deviceName);
    pr->backend = CLAW_BACKEND_VULKAN;
    uint32_t api =
        p2.properties.apiVersion < vk.api_version ? p2.properties.apiVersion : vk.api_version;
    snprintf(pr->arch, sizeof pr->arch, "vulkan%u.%u", VK_API_VERSION_MAJOR(api),
             VK_API_VERSION_MINOR(api));
    pr->max_threads_per_block = lim->maxComputeWorkGroupInvocations;
    pr->shared_mem_per_block = lim->maxComputeSharedMemorySize;
    pr->subgroup_size = sub.subgroupSize;
    /* docs/language.md §13: subgroup_size() is the property in every kernel. Drivers
     * may vary it per pipeline (SPIR-V 1.6 modules, Vulkan 1.3 §9.1.2), so
     * pipelines of modules that use subgroups ask for it where they can. */
    d->sg_size = sub.subgroupSize;
    d->sg_require_size = esc.subgroupSizeControl &&
                         (scp.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                         scp.minSubgroupSize <= sub.subgroupSize &&
                         sub.subgroupSize <= scp.maxSubgroupSize && sub.subgroupSize > 0;
    d->sg_max_subgroups = scp.maxComputeWorkgroupSubgroups;
    d->sg_full = esc.computeFullSubgroups && sub.subgroupSize > 0;
    for (int i = 0; i < 3; i++) {
        dev->limits.max_block[i] = lim->maxComputeWorkGroupSize[i];
        dev->limits.max_grid[i] = lim->maxComputeWorkGroupCount[i];
    }
    /* x is split into several dispatches (split_dispatch); y and z are at
     * least 65535 on every Vulkan device (Vulkan 1.3 §33.2, Table 53). */
    d->dispatch_max_x = lim->maxComputeWorkGroupCount[0];
    if (dev->limits.max_grid[0] < RT_MAX_GRID_X)
        dev->limits.max_grid[0] = RT_MAX_GRID_X;
    d->max_push = lim->maxPushConstantsSize;
    d->loop_limiter = driver_has_loop_limiter(d->phys);
    d->timestamps = qf[d->queue_family].timestampValidBits > 0 && lim->timestampPeriod > 0;
    d->timestamp_ns = lim->timestampPeriod;
    d->timestamp_mask = qf[d->queue_family].timestampValidBits >= 64
                            ? UINT64_MAX
                            : (UINT64_C(1) << qf[d->queue_family].timestampValidBits) - 1;
    pr->features = (q12.shaderFloat16 ? CLAW_FEATURE_F16 : 0) |
                   (q.features.shaderFloat64 ? CLAW_FEATURE_F64 : 0) |
                   (q12.shaderBufferInt64Atomics ? CLAW_FEATURE_ATOMIC64 : 0) |
                   (qaf.shaderBufferFloat32AtomicAdd ? CLAW_FEATURE_ATOMIC_FLOAT : 0);
    /* the vulkan1.3-coopmat image runs on the device's matrix units */
    pr->matrix_units = coop ? 1 : 0;
    dev->rt_features = coop ? RT_FEAT_VK_COOPMAT : 0;

    VkPhysicalDeviceMemoryProperties mp;
    vk.vkGetPhysicalDeviceMemoryProperties(d->phys, &mp);
    for (uint32_t i = 0; i < mp.memoryHeapCount; i++)
        if (mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
            pr->global_mem_bytes += mp.memoryHeaps[i].size;
    const VkMemoryPropertyFlags hv =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    d->mem_direct = find_memory(&mp, hv | VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    d->mem_device = find_memory(&mp, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    d->mem_host = find_memory(&mp, hv);
    if (d->mem_host == UINT32_MAX || (d->mem_direct == UINT32_MAX && d->mem_device == UINT32_MAX)) {
        vk_device_close(dev);
        return rt_error(CLAW_ERROR_NO_DEVICE, "Vulkan: %s has no usable memory types", pr->name);
    }
    if (d->mem_device == UINT32_MAX)
        d->mem_device = d->mem_direct;
    if (pr->global_mem_bytes == 0)
        pr->global_mem_bytes = mp.memoryHeaps[mp.memoryTypes[d->mem_host].heapIndex].size;
    return CLAW_SUCCESS;
}

/* ---- memory ------------------------------------------------------------- */

static void
mem_free(VkDev *d, VkMem *m)
{
    if (m->map)
        vk.vkUnmapMemory(d->device, m->memory);
    if (m->buffer)
        vk.vkDestroyBuffer(d->device, m->buffer, NULL);
    if (m->memory)
        vk.vkFreeMemory(d->device, m->memory, NULL);
    memset(m, 0, sizeof *m);
}

static claw_status
mem_alloc(VkDev *d, size_t bytes, uint32_t type, bool map, VkMem *m, uint64_t *address)
{
    memset(m, 0, sizeof *m);
    VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = bytes,
        .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                 VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkResult r = vk.vkCreateBuffer(d->device, &bci, NULL, &m->buffer);
    if (r != VK_SUCCESS) {
        m->buffer = VK_NULL_HANDLE;
        return vk_fail(r, "vkCreateBuffer");
    }
    VkMemoryRequirements req;
    vk.vkGetBufferMemoryRequirements(d->device, m->buffer, &req);
    if (!(req.memoryTypeBits & (1u << type))) {
        mem_free(d, m);
        return rt_error(CLAW_ERROR_DEVICE, "Vulkan: no suitable memory type for a storage buffer");
    }
    VkMemoryAllocateFlagsInfo flags = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
                                       .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT};
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .pNext = &flags,
                                .allocationSize = req.size,
                                .memoryTypeIndex = type};
    if ((r = vk.vkAllocateMemory(d->device, &mai, NULL, &m->memory)) != VK_SUCCESS) {
        m->memory = VK_NULL_HANDLE;
        mem_free(d, m);
        return vk_fail(r, "vkAllocateMemory");
    }
    if ((r = vk.vkBindBufferMemory(d->device, m->buffer, m->memory, 0)) != VK_SUCCESS) {
        mem_free(d, m);
        return vk_fail(r, "vkBindBufferMemory");
    }
    if (map &&
        (r = vk.vkMapMemory(d->device, m->memory, 0, VK_WHOLE_SIZE, 0, &m->map)) != VK_SUCCESS) {
        m->map = NULL;
        mem_free(d, m);
        return vk_fail(r, "vkMapMemory");
    }
    if (address) {
        VkBufferDeviceAddressInfo ai = {.sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO,
                                        .buffer = m->buffer};
        *address = vk.vkGetBufferDeviceAddress(d->device, &ai);
    }
    return CLAW_SUCCESS;
}

/* ---- driver loop limits (docs/spirv.md "Driver loop limits") -------------
 *
 * llvmpipe (lavapipe) gives each SIMD group of invocations one counter of
 * loop iterations, LP_MAX_TGSI_LOOP_ITERATIONS = 65535, decremented at
 * every loop back edge; when it runs out every loop exits at its next back
 * edge as if it had finished, and the results are silently wrong. A kernel
 * compiled by clawc ends with a probe, a loop that must run twice, and
 * writes a nonzero status word when the probe is cut short (the counter
 * never goes back up). The probe is compiled in under the boolean SpecId 3,
 * set here only on such drivers, and the word's address is a hidden field
 * of every kernel's push constants, before the launch block (a module says so with OpModuleProcessed
 * STATUS_MARKER). The word is read when a launch is retired; a wait then
 * reports the first cut launch. */

/* SPIR-V 3.32.2: OpModuleProcessed, one literal string. clawc writes it
 * (targets/spirv/spirv_emit.h, SPV_STATUS_MARKER). */
#define STATUS_MARKER "clawc:status-word"
enum { OP_MODULE_PROCESSED = 330, LOOP_LIMIT = 65535 };

/* Whether a (size-checked) SPIR-V module carries the marker. */
static bool
module_has_status_word(const uint32_t *words, size_t nwords)
{
    size_t i = 5;
    while (i < nwords) {
        uint32_t op = words[i] & 0xffff, len = words[i] >> 16;
        if (len == 0 || len > nwords - i)
            return false;
        if (op == OP_MODULE_PROCESSED && len > 1) {
            const char *str = (const char *)&words[i + 1];
            size_t max = (size_t)(len - 1) * 4;
            if (strnlen(str, max) < max && strcmp(str, STATUS_MARKER) == 0)
                return true;
        }
        i += len;
    }
    return false;
}

/* The push-constant layout of a kernel with the status word: after the
 * S = packed_size argument bytes, at S rounded up to 8, when S is at most
 * RT_PUSH_ARGS_LIMIT (so the word's address ends by the launch block at
 * RT_PUSH_LAUNCH_OFFSET); otherwise the arguments go to a buffer and the
 * push constants are its address and the word's (16 bytes). On drivers
 * with the limiter the word gets its own zeroed host-visible buffer. */
static claw_status
status_word_init(VkDev *d, VkKernel *vkk, size_t packed_size)
{
    VkStatusWord *sw = &vkk->status;
    sw->present = true;
    size_t off = (packed_size + 7) & ~(size_t)7;
    vkk->indirect = packed_size > RT_PUSH_ARGS_LIMIT;
    sw->offset = vkk->indirect ? 8 : (uint32_t)off;
    vkk->push_size = sw->offset + 8;
    if (!d->loop_limiter)
        return CLAW_SUCCESS;
    claw_status s = mem_alloc(d, 4, d->mem_host, true, &sw->mem, &sw->address);
    if (s == CLAW_SUCCESS)
        memset(sw->mem.map, 0, 4);
    return s;
}

static void
status_word_release(VkDev *d, VkKernel *vkk)
{
    if (vkk->status.mem.buffer)
        mem_free(d, &vkk->status.mem);
}

/* Called for each retired launch: a nonzero word is recorded for the next
 * wait and cleared, so the kernel and the device stay usable. */
static void
status_word_retire(VkDev *d, const VkPending *p)
{
    if (!p->kernel)
        return;
    VkKernel *vkk = p->kernel->native;
    if (!vkk || !vkk->status.mem.map)
        return;
    volatile uint32_t *word = vkk->status.mem.map;
    if (*word == 0)
        return;
    *word = 0;
    VkLoopCut *c = &d->loop_cut;
    if (c->count++ == 0)
        snprintf(c->kernel, sizeof c->kernel, "%s", p->kernel->meta->name);
}

/* The error for the launches found cut since the last report, if any. */
static claw_status
loop_cut_report(VkDev *d)
{
    VkLoopCut c = d->loop_cut;
    if (c.count == 0)
        return CLAW_SUCCESS;
    memset(&d->loop_cut, 0, sizeof d->loop_cut);
    char more[64] = "";
    if (c.count > 1)
        snprintf(more, sizeof more, "; %u more launches were cut short since the last wait",
                 c.count - 1);
    return rt_error(CLAW_ERROR_LAUNCH_FAILED,
                    "Vulkan: kernel '%s' was cut short by the driver's loop limit: llvmpipe "
                    "(lavapipe) ends every loop of a thread once the thread has run %u loop "
                    "iterations in all (Mesa's LP_MAX_TGSI_LOOP_ITERATIONS), so the results of "
                    "the launch are wrong%s. Split the work so that no thread runs more than %u "
                    "loop iterations (more threads, or more launches), or use another device",
                    c.kernel, LOOP_LIMIT, more, LOOP_LIMIT);
}

/* ---- submission ---------------------------------------------------------- */

/* Frees a finished submission; a claw_read_on lands in host memory here. */
static void
retire(VkDev *d, VkPending *p)
{
    vk.vkFreeCommandBuffers(d->device, d->pool, 1, &p->cmd);
    vk.vkDestroyFence(d->device, p->fence, NULL);
    if (p->args.buffer)
        mem_free(d, &p->args);
    if (p->host_dst)
        memcpy(p->host_dst, p->staging.map, p->host_bytes);
    if (p->staging.buffer)
        mem_free(d, &p->staging);
    if (p->seq > d->done_seq)
        d->done_seq = p->seq;
    status_word_retire(d, p);
}

static claw_status
vk_synchronize(claw_device *dev)
{
    VkDev *d = dev->native;
    claw_status s = CLAW_SUCCESS;
    for (size_t i = 0; i < d->npending; i++) {
        VkResult r = vk.vkWaitForFences(d->device, 1, &d->pending[i].fence, VK_TRUE, UINT64_MAX);
        if (r != VK_SUCCESS && s == CLAW_SUCCESS)
            s = vk_fail(r, "vkWaitForFences (a kernel launch)");
        retire(d, &d->pending[i]);
    }
    d->npending = 0;
    d->done_seq = d->next_seq;
    if (s == CLAW_SUCCESS)
        s = loop_cut_report(d);
    return s;
}

/* Starts a one-use command buffer whose commands wait for all earlier work
 * on the queue (Vulkan 1.3 §7.6: a pipeline barrier's first scope covers the
 * commands before it in submission order). */
static claw_status
begin_commands(VkDev *d, VkCommandBuffer *cmd)
{
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = d->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkResult r = vk.vkAllocateCommandBuffers(d->device, &ai, cmd);
    if (r != VK_SUCCESS)
        return vk_fail(r, "vkAllocateCommandBuffers");
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    if ((r = vk.vkBeginCommandBuffer(*cmd, &bi)) != VK_SUCCESS) {
        vk.vkFreeCommandBuffers(d->device, d->pool, 1, cmd);
        return vk_fail(r, "vkBeginCommandBuffer");
    }
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT |
                                           VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_HOST_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                           VK_ACCESS_TRANSFER_READ_BIT |
                                           VK_ACCESS_TRANSFER_WRITE_BIT};
    vk.vkCmdPipelineBarrier(*cmd,
                            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT |
                                VK_PIPELINE_STAGE_HOST_BIT,
                            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                            0, 1, &mb, 0, NULL, 0, NULL);
    return CLAW_SUCCESS;
}

/* Ends cmd with a barrier that makes its writes visible to the host, and
 * submits it; the fence lands in *fence. */
static claw_status
submit_commands(VkDev *d, VkCommandBuffer cmd, VkFence *fence)
{
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask =
                              VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vk.vkCmdPipelineBarrier(cmd,
                            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                            VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
    VkResult r = vk.vkEndCommandBuffer(cmd);
    if (r != VK_SUCCESS)
        return vk_fail(r, "vkEndCommandBuffer");
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if ((r = vk.vkCreateFence(d->device, &fci, NULL, fence)) != VK_SUCCESS)
        return vk_fail(r, "vkCreateFence");
    VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cmd};
    if ((r = vk.vkQueueSubmit(d->queue, 1, &si, *fence)) != VK_SUCCESS) {
        vk.vkDestroyFence(d->device, *fence, NULL);
        return vk_fail(r, "vkQueueSubmit");
    }
    return CLAW_SUCCESS;
}

/* Work on the one queue completes in submission order, so the finished
 * launches are a prefix of d->pending. Retiring them before recording
 * another keeps a long loop of launches without claw_synchronize from
 * holding a fence and a command buffer for every launch. A fence that is
 * not signalled (or reports a lost device) stays for claw_synchronize,
 * which reports the error. */
static void
retire_finished(VkDev *d)
{
    size_t done = 0;
    while (done < d->npending &&
           vk.vkGetFenceStatus(d->device, d->pending[done].fence) == VK_SUCCESS)
        retire(d, &d->pending[done++]);
    if (done) {
        memmove(d->pending, d->pending + done, (d->npending - done) * sizeof *d->pending);
        d->npending -= done;
    }
}

/* Records a submitted p (its seq assigned here, in *seq when not NULL). On
 * failure p is waited for and retired, and the error returned. */
static claw_status
add_pending_ex(VkDev *d, VkPending p, uint64_t *seq)
{
    p.seq = ++d->next_seq;
    if (seq)
        *seq = p.seq;
    retire_finished(d);
    if (d->npending == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        VkPending *np = realloc(d->pending, cap * sizeof *np);
        if (!np) {
            vk.vkWaitForFences(d->device, 1, &p.fence, VK_TRUE, UINT64_MAX);
            retire(d, &p);
            return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "Vulkan: out of memory");
        }
        d->pending = np;
        d->cap = cap;
    }
    d->pending[d->npending++] = p;
    return CLAW_SUCCESS;
}

static claw_status
add_pending(VkDev *d, VkCommandBuffer cmd, VkFence fence, VkMem args, claw_kernel *kernel)
{
    d->next_seq++;
    retire_finished(d);
    if (d->npending == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        VkPending *np = realloc(d->pending, cap * sizeof *np);
        if (!np)
            return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "Vulkan: out of memory");
        d->pending = np;
        d->cap = cap;
    }
    d->pending[d->npending++] = (VkPending){
        .cmd = cmd, .fence = fence, .args = args, .seq = d->next_seq, .kernel = kernel};
    return CLAW_SUCCESS;
}

/* ---- buffers -------------------------------------------------------------- */

static claw_status
vk_alloc(claw_device *dev, claw_buffer *b)
{
    VkDev *d = dev->native;
    VkMem *m = calloc(1, sizeof *m);
    if (!m)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "Vulkan: out of memory");
    bool direct = d->mem_direct != UINT32_MAX;
    claw_status s =
        mem_alloc(d, b->size, direct ? d->mem_direct : d->mem_device, direct, m, &b->address);
    if (s != CLAW_SUCCESS) {
        free(m);
        return s;
    }
    b->native = m;
    return CLAW_SUCCESS;
}

static void
vk_free(claw_buffer *b)
{
    VkMem *m = b->native;
    if (m) {
        mem_free(b->dev->native, m);
        free(m);
    }
}

/* A copy between a staging buffer and a device-local one, waited for. */
static claw_status
staged_copy(VkDev *d, VkBuffer src, size_t src_off, VkBuffer dst, size_t dst_off, size_t bytes)
{
    VkCommandBuffer cmd;
    claw_status s = begin_commands(d, &cmd);
    if (s != CLAW_SUCCESS)
        return s;
    VkBufferCopy region = {src_off, dst_off, bytes};
    vk.vkCmdCopyBuffer(cmd, src, dst, 1, &region);
    VkFence fence;
    if ((s = submit_commands(d, cmd, &fence)) != CLAW_SUCCESS) {
        vk.vkFreeCommandBuffers(d->device, d->pool, 1, &cmd);
        return s;
    }
    return add_pending(d, cmd, fence, (VkMem){0}, NULL);
}

static claw_status
vk_transfer(claw_buffer *b, size_t offset, void *host, size_t bytes, bool to_device)
{
    VkDev *d = b->dev->native;
    VkMem *m = b->native;
    /* Earlier launches may read or write these bytes. */
    claw_status s = vk_synchronize(b->dev);
    if (s != CLAW_SUCCESS)
        return s;
    if (m->map) {
        if (to_device)
            memcpy((char *)m->map + offset, host, bytes);
        else
            memcpy(host, (char *)m->map + offset, bytes);
        return CLAW_SUCCESS;
    }
    VkMem staging;
    if ((s = mem_alloc(d, bytes, d->mem_host, true, &staging, NULL)) != CLAW_SUCCESS)
        return s;
    if (to_device) {
        memcpy(staging.map, host, bytes);
        s = staged_copy(d, staging.buffer, 0, m->buffer, offset, bytes);
    } else {
        s = staged_copy(d, m->buffer, offset, staging.buffer, 0, bytes);
    }
    if (s == CLAW_SUCCESS)
        s = vk_synchronize(b->dev);
    if (s == CLAW_SUCCESS && !to_device)
        memcpy(host, staging.map, bytes);
    mem_free(d, &staging);
    return s;
}

/* A bounds record (runtime/bounds.c): read in place when the memory is
 * mapped (host-visible and coherent), so that a stream's wait does not
 * wait for the whole device. */
static claw_status
vk_record_io(claw_buffer *b, void *host, size_t bytes, bool write)
{
    VkMem *m = b->native;
    if (!m->map)
        return vk_transfer(b, 0, host, bytes, write);
    if (write)
        memcpy(m->map, host, bytes);
    else
        memcpy(host, m->map, bytes);
    return CLAW_SUCCESS;
}

static claw_status
vk_write(claw_buffer *b, size_t offset, const void *src, size_t bytes)
{
    return vk_transfer(b, offset, (void *)src, bytes, true);
}

static claw_status
vk_read(claw_buffer *b, size_t offset, void *dst, size_t bytes)
{
    return vk_transfer(b, offset, dst, bytes, false);
}

/* ---- modules, kernels, launches --------------------------------------------- */

typedef struct VkModule {
    VkShaderModule shader;
    uint32_t *words;
    size_t nwords;
    bool status_word; /* compiled by clawc: every kernel has the status word */
    bool subgroups;   /* declares GroupNonUniform: its kernels use subgroup operations */
} VkModule;

/* Whether the module declares the GroupNonUniform capability, which every
 * subgroup builtin needs (SPIR-V 3.31: capability 61; the OpCapability
 * instructions, opcode 17, come first after the five-word header). */
static bool
module_uses_subgroups(const uint32_t *w, size_t n)
{
    for (size_t i = 5; i < n;) {
        uint32_t len = w[i] >> 16, op = w[i] & 0xffffu;
        if (op != 17 || len < 2 || len > n - i)
            return false;
        if (w[i + 1] == 61)
            return true;
        i += len;
    }
    return false;
}

/* Whether the SPIR-V module declares a GLCompute entry point `name`
 * (SPIR-V 2.3: instruction stream after a five-word header; OpEntryPoint is
 * opcode 15 with the execution model, the function id, then the name). */
static bool
has_entry_point(const VkModule *vm, const char *name)
{
    size_t i = 5;
    while (i < vm->nwords) {
        uint32_t op = vm->words[i] & 0xffff, len = vm->words[i] >> 16;
        if (len == 0 || len > vm->nwords - i)
            return false;
        if (op == 15 && len > 3 && vm->words[i + 1] == 5 /* GLCompute */) {
            const char *s = (const char *)&vm->words[i + 3];
            size_t max = (len - 3) * 4;
            if (strnlen(s, max) < max && strcmp(s, name) == 0)
                return true;
        }
        i += len;
    }
    return false;
}

/* llvmpipe keeps a stack of LP_MAX_TGSI_NESTING = 80 conditional masks;
 * deeper conditionals are not masked, so threads run branches they should
 * skip and the results are silently wrong (measured: 83 nested ifs in
 * clawc's SPIR-V were right, 84 were not; docs/validation.md). Such kernels
 * are refused at claw_kernel_get on that driver, under the same switch as
 * the loop check (CLAW_VULKAN_LOOP_CHECK=0 turns both off). */
enum { LP_NESTING_LIMIT = 80 };

static claw_status
nesting_check(const VkModule *vm, const char *name)
{
    uint32_t depth = 0;
    if (!rt_spirv_selection_depth(vm->words, vm->nwords, name, &depth))
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "Vulkan: out of memory");
    if (depth <= LP_NESTING_LIMIT)
        return CLAW_SUCCESS;
    return rt_error(CLAW_ERROR_MODULE_LOAD,
                    "Vulkan: kernel '%s' nests %u conditionals inside each other (with its "
                    "calls); llvmpipe (lavapipe) tracks at most %u levels (Mesa's "
                    "LP_MAX_TGSI_NESTING) and computes wrong results beyond them. Nest less "
                    "deeply (join conditions with &&, return early) or use another device",
                    name, depth, LP_NESTING_LIMIT);
}

static claw_status
vk_module_load(claw_device *dev, claw_module *m)
{
    VkDev *d = dev->native;
    const claw_fb_image *img = m->image;
    if (img->size < 20 || img->size % 4 != 0)
        return rt_error(CLAW_ERROR_MODULE_LOAD,
                        "Vulkan: the %s image is %zu bytes, not a SPIR-V module", img->arch,
                        img->size);
    VkModule *vm = calloc(1, sizeof *vm);
    if (!vm || !(vm->words = malloc(img->size))) {
        free(vm);
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "Vulkan: out of memory");
    }
    memcpy(vm->words, img->data, img->size);
    vm->nwords = img->size / 4;
    if (vm->words[0] != 0x07230203) {
        free(vm->words);
        free(vm);
        return rt_error(CLAW_ERROR_MODULE_LOAD,
                        "Vulkan: the %s image lacks the SPIR-V magic number", img->arch);
    }
    VkShaderModuleCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                   .codeSize = img->size,
                                   .pCode = vm->words};
    VkResult r = vk.vkCreateShaderModule(d->device, &ci, NULL, &vm->shader);
    if (r != VK_SUCCESS) {
        free(vm->words);
        free(vm);
        claw_status s = vk_fail(r, "vkCreateShaderModule");
        return s == CLAW_ERROR_DEVICE ? rt_error(CLAW_ERROR_MODULE_LOAD, "%s", claw_last_error())
                                      : s;
    }
    vm->status_word = module_has_status_word(vm->words, vm->nwords);
    vm->subgroups = module_uses_subgroups(vm->words, vm->nwords);
    m->native = vm;
    return CLAW_SUCCESS;
}

static void
vk_module_unload(claw_module *m)
{
    VkModule *vm = m->native;
    VkDev *d = m->dev->native;
    vk.vkDestroyShaderModule(d->device, vm->shader, NULL);
    free(vm->words);
    free(vm);
    m->native = NULL;
}

static claw_status
vk_kernel_get(claw_kernel *k)
{
    VkDev *d = k->mod->dev->native;
    VkModule *vm = k->mod->native;
    if (!has_entry_point(vm, k->meta->name))
        return rt_error(CLAW_ERROR_KERNEL_NOT_FOUND,
                        "Vulkan: the SPIR-V image has no GLCompute entry point '%s' although its "
                        "metadata lists it",
                        k->meta->name);
    if (d->loop_limiter) {
        claw_status s = nesting_check(vm, k->meta->name);
        if (s != CLAW_SUCCESS)
            return s;
    }
    VkKernel *vkk = calloc(1, sizeof *vkk);
    if (!vkk)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "Vulkan: out of memory");
    if (vm->status_word) {
        claw_status s = status_word_init(d, vkk, k->packed_size);
        if (s != CLAW_SUCCESS) {
            free(vkk);
            return s;
        }
    } else {
        vkk->indirect = k->packed_size > RT_PUSH_ARGS_LIMIT;
        vkk->push_size = vkk->indirect ? 8 : (uint32_t)((k->packed_size + 3) & ~(size_t)3);
    }
    if (RT_PUSH_CONSTANT_LIMIT > d->max_push) {
        uint32_t need = RT_PUSH_CONSTANT_LIMIT;
        status_word_release(d, vkk);
        free(vkk);
        return rt_error(CLAW_ERROR_MODULE_LOAD,
                        "Vulkan: kernel '%s' needs %u bytes of push constants; the device has %u",
                        k->meta->name, need, d->max_push);
    }
    /* The whole 128 bytes: arguments, then the launch block at the end. */
    VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, RT_PUSH_CONSTANT_LIMIT};
    VkPipelineLayoutCreateInfo li = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                     .pushConstantRangeCount = 1,
                                     .pPushConstantRanges = &range};
    VkResult r = vk.vkCreatePipelineLayout(d->device, &li, NULL, &vkk->layout);
    if (r != VK_SUCCESS) {
        status_word_release(d, vkk);
        free(vkk);
        return vk_fail(r, "vkCreatePipelineLayout");
    }
    k->native = vkk;
    return CLAW_SUCCESS;
}

static void
vk_kernel_release(claw_kernel *k)
{
    VkKernel *vkk = k->native;
    VkDev *d = k->mod->dev->native;
    if (!vkk)
        return;
    for (size_t i = 0; i < vkk->npipes; i++)
        vk.vkDestroyPipeline(d->device, vkk->pipes[i].pipeline, NULL);
    vk.vkDestroyPipelineLayout(d->device, vkk->layout, NULL);
    status_word_release(d, vkk);
    free(vkk->pipes);
    free(vkk);
    k->native = NULL;
}

/* The pipeline of k for this block size, built on first use. */
static claw_status
get_pipeline(claw_kernel *k, const uint32_t block[3], VkPipeline *out)
{
    VkKernel *vkk = k->native;
    VkDev *d = k->mod->dev->native;
    for (size_t i = 0; i < vkk->npipes; i++)
        if (memcmp(vkk->pipes[i].block, block, sizeof vkk->pipes[i].block) == 0) {
            *out = vkk->pipes[i].pipeline;
            return CLAW_SUCCESS;
        }
    if (vkk->npipes == vkk->cap) {
        size_t cap = vkk->cap ? vkk->cap * 2 : 4;
        VkPipeEntry *np = realloc(vkk->pipes, cap * sizeof *np);
        if (!np)
            return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "Vulkan: out of memory");
        vkk->pipes = np;
        vkk->cap = cap;
    }
    /* docs/spirv.md: the block size is SpecId 0, 1, 2 (ignored by kernels
     * with @workgroup, whose LocalSize is fixed); SpecId 3 turns the loop
     * checks on where the status word exists; SpecId 4 is the subgroup size
     * (the matrix fallback branches on it, ir/matrix.c). */
    uint32_t data[5] = {block[0], block[1], block[2], vkk->status.address != 0,
                        k->mod->dev->props.subgroup_size};
    VkSpecializationMapEntry map[5] = {
        {0, 0, 4}, {1, 4, 4}, {2, 8, 4}, {3, 12, sizeof(VkBool32)}, {4, 16, 4}};
    VkSpecializationInfo spec = {5, map, sizeof data, data};
    VkModule *vm = k->mod->native;
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = vm->shader,
                  .pName = k->meta->name,
                  .pSpecializationInfo = &spec},
        .layout = vkk->layout,
    };
    /* Subgroups (docs/spirv.md "How subgroups are formed"): the device's
     * subgroup size in every pipeline, where the block fits the driver's
     * limit for a required size (VUID-VkPipelineShaderStageCreateInfo-pNext-02756),
     * and full subgroups where the block's x size is a multiple of it
     * (VUID-...-flags-02759: the flag is invalid otherwise). */
    VkPipelineShaderStageRequiredSubgroupSizeCreateInfo req = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO,
        .requiredSubgroupSize = d->sg_size};
    uint64_t threads = (uint64_t)block[0] * block[1] * block[2];
    if (vm->subgroups && d->sg_require_size && threads <= (uint64_t)d->sg_size * d->sg_max_subgroups)
        ci.stage.pNext = &req;
    if (vm->subgroups && d->sg_full && block[0] % d->sg_size == 0)
        ci.stage.flags |= VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT;
    VkPipeline p;
    VkResult r = vk.vkCreateComputePipelines(d->device, VK_NULL_HANDLE, 1, &ci, NULL, &p);
    if (r != VK_SUCCESS)
        return vk_fail(r, "vkCreateComputePipelines");
    VkPipeEntry *e = &vkk->pipes[vkk->npipes++];
    memcpy(e->block, block, sizeof e->block);
    e->pipeline = p;
    *out = p;
    return CLAW_SUCCESS;
}

/* The launch block (docs/spirv.md): the grid's x dimension runs as
 * dispatches of at most dispatch_max_x blocks, each pushing its first block
 * and the whole grid at RT_PUSH_LAUNCH_OFFSET, so block_id, global_id and
 * grid_dim are those of the whole launch in every piece. */
static void
split_dispatch(VkDev *d, VkCommandBuffer cmd, VkPipelineLayout layout, const uint32_t grid[3])
{
    uint32_t step = d->dispatch_max_x ? d->dispatch_max_x : 65535;
    for (uint32_t base = 0; base < grid[0];) {
        uint32_t n = grid[0] - base < step ? grid[0] - base : step;
        uint32_t lb[4] = {base, grid[0], grid[1], grid[2]};
        vk.vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, RT_PUSH_LAUNCH_OFFSET,
                              sizeof lb, lb);
        vk.vkCmdDispatch(cmd, n, grid[1], grid[2]);
        base += n;
    }
}

static uint64_t *
stream_last(VkDev *d, claw_stream *s)
{
    return s ? &((VkStreamState *)s->native)->last : &d->default_last;
}

static claw_status
vk_launch_on(claw_stream *st, claw_kernel *k, const uint32_t grid[3], const uint32_t block[3],
             const void *packed, const void *const *args)
{
    VkDev *d = k->mod->dev->native;
    VkKernel *vkk = k->native;
    VkPipeline pipeline = VK_NULL_HANDLE;
    claw_status s = get_pipeline(k, block, &pipeline);
    if (s != CLAW_SUCCESS)
        return s;
    VkMem argmem = {0};
    uint64_t argaddr = 0;
    if (vkk->indirect) {
        if ((s = mem_alloc(d, k->packed_size, d->mem_host, true, &argmem, &argaddr)) !=
            CLAW_SUCCESS)
            return s;
        memcpy(argmem.map, packed, k->packed_size);
    }
    VkCommandBuffer cmd;
    if ((s = begin_commands(d, &cmd)) != CLAW_SUCCESS) {
        mem_free(d, &argmem);
        return s;
    }
    vk.vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
    if (vkk->push_size) {
        unsigned char pc[RT_PUSH_LAUNCH_OFFSET] = {0};
        if (vkk->indirect)
            memcpy(pc, &argaddr, 8);
        else
            memcpy(pc, packed, k->packed_size);
        if (vkk->status.present)
            memcpy(pc + vkk->status.offset, &vkk->status.address, 8);
        vk.vkCmdPushConstants(cmd, vkk->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, vkk->push_size, pc);
    }
    split_dispatch(d, cmd, vkk->layout, grid);
    VkFence fence;
    if ((s = submit_commands(d, cmd, &fence)) != CLAW_SUCCESS) {
        vk.vkFreeCommandBuffers(d->device, d->pool, 1, &cmd);
        mem_free(d, &argmem);
        return s;
    }
    return add_pending_ex(d, (VkPending){.cmd = cmd, .fence = fence, .args = argmem, .kernel = k},
                          stream_last(d, st));
}

static claw_status
vk_launch(claw_kernel *k, const uint32_t grid[3], const uint32_t block[3], const void *packed,
          const void *const *args)
{
    return vk_launch_on(NULL, k, grid, block, packed, args);
}

/* ---- v0.2: streams, events, asynchronous copies --------------------------- */

/* Waits until submission seq is done and retires what has finished. */
static claw_status
wait_seq(VkDev *d, uint64_t seq)
{
    if (seq <= d->done_seq)
        return CLAW_SUCCESS;
    claw_status s = CLAW_SUCCESS;
    for (size_t i = 0; i < d->npending; i++)
        if (d->pending[i].seq == seq) {
            VkResult r =
                vk.vkWaitForFences(d->device, 1, &d->pending[i].fence, VK_TRUE, UINT64_MAX);
            if (r != VK_SUCCESS)
                s = vk_fail(r, "vkWaitForFences (work on a stream)");
            break;
        }
    retire_finished(d);
    return s;
}

/* wait_seq for the claw_*_synchronize calls: a wait also reports the
 * launches the driver's loop limit cut short (status_word_retire). */
static claw_status
wait_seq_report(VkDev *d, uint64_t seq)
{
    claw_status s = wait_seq(d, seq);
    return s == CLAW_SUCCESS ? loop_cut_report(d) : s;
}

static claw_status
vk_stream_create(claw_stream *s)
{
    VkStreamState *vs = calloc(1, sizeof *vs);
    if (!vs)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "Vulkan: out of memory");
    s->native = vs;
    return CLAW_SUCCESS;
}

static void
vk_stream_destroy(claw_stream *s)
{
    free(s->native);
}

static claw_status
vk_stream_synchronize(claw_stream *s)
{
    return wait_seq_report(s->dev->native, ((VkStreamState *)s->native)->last);
}

/* Submits cmd (begun with begin_commands) for stream st as p. */
static claw_status
submit_on(VkDev *d, claw_stream *st, VkCommandBuffer cmd, VkPending p, uint64_t *seq)
{
    VkFence fence;
    claw_status s = submit_commands(d, cmd, &fence);
    if (s != CLAW_SUCCESS) {
        vk.vkFreeCommandBuffers(d->device, d->pool, 1, &cmd);
        mem_free(d, &p.staging);
        return s;
    }
    p.cmd = cmd;
    p.fence = fence;
    uint64_t at = 0;
    s = add_pending_ex(d, p, &at);
    *stream_last(d, st) = at;
    if (seq)
        *seq = at;
    return s;
}

/* claw_write_on and claw_read_on go through a host-visible staging buffer
 * that a copy command fills or empties in stream order; src is copied into
 * it at once, dst receives it when the copy is retired. */
static claw_status
vk_transfer_on(claw_stream *st, claw_buffer *b, size_t offset, void *host, size_t bytes,
               bool to_device)
{
    VkDev *d = b->dev->native;
    VkMem *m = b->native;
    VkMem staging;
    claw_status s = mem_alloc(d, bytes, d->mem_host, true, &staging, NULL);
    if (s != CLAW_SUCCESS)
        return s;
    VkCommandBuffer cmd;
    if ((s = begin_commands(d, &cmd)) != CLAW_SUCCESS) {
        mem_free(d, &staging);
        return s;
    }
    VkPending p = {.staging = staging};
    if (to_device) {
        memcpy(staging.map, host, bytes);
        VkBufferCopy region = {0, offset, bytes};
        vk.vkCmdCopyBuffer(cmd, staging.buffer, m->buffer, 1, &region);
    } else {
        VkBufferCopy region = {offset, 0, bytes};
        vk.vkCmdCopyBuffer(cmd, m->buffer, staging.buffer, 1, &region);
        p.host_dst = host;
        p.host_bytes = bytes;
    }
    return submit_on(d, st, cmd, p, NULL);
}

static claw_status
vk_write_on(claw_stream *st, claw_buffer *b, size_t offset, const void *src, size_t bytes)
{
    return vk_transfer_on(st, b, offset, (void *)src, bytes, true);
}

static claw_status
vk_read_on(claw_stream *st, claw_buffer *b, size_t offset, void *dst, size_t bytes)
{
    return vk_transfer_on(st, b, offset, dst, bytes, false);
}

static claw_status
vk_copy_on(claw_stream *st, claw_buffer *dst, size_t dst_offset, claw_buffer *src,
           size_t src_offset, size_t bytes)
{
    VkDev *d = dst->dev->native;
    VkCommandBuffer cmd;
    claw_status s = begin_commands(d, &cmd);
    if (s != CLAW_SUCCESS)
        return s;
    VkBufferCopy region = {src_offset, dst_offset, bytes};
    vk.vkCmdCopyBuffer(cmd, ((VkMem *)src->native)->buffer, ((VkMem *)dst->native)->buffer, 1,
                       &region);
    return submit_on(d, st, cmd, (VkPending){0}, NULL);
}

static claw_status
vk_fill_on(claw_stream *st, claw_buffer *b, size_t offset, size_t bytes, uint32_t value)
{
    VkDev *d = b->dev->native;
    VkCommandBuffer cmd;
    claw_status s = begin_commands(d, &cmd);
    if (s != CLAW_SUCCESS)
        return s;
    vk.vkCmdFillBuffer(cmd, ((VkMem *)b->native)->buffer, offset, bytes, value);
    return submit_on(d, st, cmd, (VkPending){0}, NULL);
}

static claw_status
vk_event_create(claw_event *e)
{
    VkDev *d = e->dev->native;
    VkEventState *ve = calloc(1, sizeof *ve);
    if (!ve)
        return rt_error(CLAW_ERROR_OUT_OF_MEMORY, "Vulkan: out of memory");
    if (d->timestamps) {
        VkQueryPoolCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                    .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                    .queryCount = 1};
        VkResult r = vk.vkCreateQueryPool(d->device, &qi, NULL, &ve->pool);
        if (r != VK_SUCCESS) {
            free(ve);
            return vk_fail(r, "vkCreateQueryPool");
        }
    }
    e->native = ve;
    return CLAW_SUCCESS;
}

static void
vk_event_destroy(claw_event *e)
{
    VkDev *d = e->dev->native;
    VkEventState *ve = e->native;
    /* A recording still queued writes into the pool. */
    wait_seq(d, ve->seq);
    if (ve->pool)
        vk.vkDestroyQueryPool(d->device, ve->pool, NULL);
    free(ve);
}

/* The event is a submission of its own: after everything before it on the
 * queue (begin_commands' barrier), a timestamp at the end of the pipe. */
static claw_status
vk_event_record(claw_event *e, claw_stream *st)
{
    VkDev *d = e->dev->native;
    VkEventState *ve = e->native;
    claw_status s = wait_seq(d, ve->seq); /* an earlier recording still owns the query */
    if (s != CLAW_SUCCESS)
        return s;
    VkCommandBuffer cmd;
    if ((s = begin_commands(d, &cmd)) != CLAW_SUCCESS)
        return s;
    if (ve->pool) {
        vk.vkCmdResetQueryPool(cmd, ve->pool, 0, 1);
        vk.vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, ve->pool, 0);
    }
    return submit_on(d, st, cmd, (VkPending){0}, &ve->seq);
}

/* Submission order on the one queue already puts later work on s after e. */
static claw_status
vk_stream_wait(claw_stream *s, claw_event *e)
{
    (void)s;
    (void)e;
    return CLAW_SUCCESS;
}

static claw_status
vk_event_synchronize(claw_event *e)
{
    return wait_seq_report(e->dev->native, ((VkEventState *)e->native)->seq);
}

static claw_status
vk_event_elapsed(claw_event *start, claw_event *end, double *ms)
{
    VkDev *d = start->dev->native;
    VkEventState *a = start->native, *b = end->native;
    if (!d->timestamps)
        return rt_error(CLAW_ERROR_DEVICE,
                        "Vulkan: %s writes no timestamps on its compute queue "
                        "(timestampValidBits is 0), so claw_event_elapsed cannot time it",
                        start->dev->props.name);
    claw_status s = wait_seq(d, a->seq > b->seq ? a->seq : b->seq);
    if (s != CLAW_SUCCESS)
        return s;
    uint64_t t[2];
    VkResult r = vk.vkGetQueryPoolResults(d->device, a->pool, 0, 1, sizeof t[0], &t[0], sizeof t[0],
                                          VK_QUERY_RESULT_64_BIT);
    if (r == VK_SUCCESS)
        r = vk.vkGetQueryPoolResults(d->device, b->pool, 0, 1, sizeof t[1], &t[1], sizeof t[1],
                                     VK_QUERY_RESULT_64_BIT);
    if (r != VK_SUCCESS)
        return vk_fail(r, "vkGetQueryPoolResults");
    uint64_t ticks = (t[1] - t[0]) & d->timestamp_mask;
    double sign = 1.0;
    if (ticks > d->timestamp_mask / 2) { /* end before start */
        ticks = (t[0] - t[1]) & d->timestamp_mask;
        sign = -1.0;
    }
    *ms = sign * (double)ticks * d->timestamp_ns / 1e6;
    return CLAW_SUCCESS;
}

static void *
vk_native_handle(claw_device *dev)
{
    return (void *)((VkDev *)dev->native)->device;
}

const RtBackend rt_vulkan_backend = {
    .name = "vulkan",
    .kind = CLAW_BACKEND_VULKAN,
    .rank_image = rt_rank_vulkan_image,
    .init = vk_init,
    .device_open = vk_device_open,
    .device_close = vk_device_close,
    .module_load = vk_module_load,
    .module_unload = vk_module_unload,
    .kernel_get = vk_kernel_get,
    .kernel_release = vk_kernel_release,
    .alloc = vk_alloc,
    .free = vk_free,
    .write = vk_write,
    .read = vk_read,
    .record_io = vk_record_io,
    .launch = vk_launch,
    .synchronize = vk_synchronize,
    .shutdown = vk_shutdown,
    .stream_create = vk_stream_create,
    .stream_destroy = vk_stream_destroy,
    .stream_synchronize = vk_stream_synchronize,
    .launch_on = vk_launch_on,
    .write_on = vk_write_on,
    .read_on = vk_read_on,
    .copy_on = vk_copy_on,
    .fill_on = vk_fill_on,
    .event_create = vk_event_create,
    .event_destroy = vk_event_destroy,
    .event_record = vk_event_record,
    .stream_wait = vk_stream_wait,
    .event_synchronize = vk_event_synchronize,
    .event_elapsed = vk_event_elapsed,
    .wrap = NULL, /* claw_buffer_wrap refuses: a Vulkan address is not memory to adopt */
    .native_handle = vk_native_handle,
};
