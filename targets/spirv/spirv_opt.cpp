/* spirv_opt.cpp: the one C++ file of the SPIR-V backend, a shim over
 * SPIRV-Tools' optimiser.
 *
 * docs/architecture.md asks for SPIRV-Tools' performance passes "through its C
 * API", but the SPIRV-Tools 2023.1 of Debian 12 exposes the optimiser only
 * in C++ (spvtools::Optimizer; libspirv.h has option setters but no entry
 * point that runs passes). This file wraps the C++ API in one extern "C"
 * function; docs/spirv.md records the deviation. It does not include the
 * project's C headers (they use C11-only keywords), so the prototype is
 * repeated here and must match spirv_emit.h. */
#include <spirv-tools/optimizer.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" int spv_optimize(const uint32_t *words, size_t n, bool vulkan13, uint32_t **out,
                            size_t *out_n, char **err);

static char *
dup_message(const std::string &s)
{
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p)
        std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
}

/* SPIRV-Tools' performance passes are superlinear in the number of blocks
 * of a function (dominator walks per block): a module with more blocks than
 * this (a generated chain of thousands of `if`s) is left as emitted, already
 * valid, and the Vulkan driver's compiler optimises it (docs/spirv.md). */
enum { SPV_OPT_MAX_BLOCKS = 8192 };

static size_t
count_blocks(const uint32_t *words, size_t n)
{
    size_t blocks = 0;
    for (size_t i = 5; i < n;) {
        uint32_t len = words[i] >> 16;
        if ((words[i] & 0xffff) == 248) /* OpLabel */
            blocks++;
        i += len ? len : 1;
    }
    return blocks;
}

extern "C" int
spv_optimize(const uint32_t *words, size_t n, bool vulkan13, uint32_t **out, size_t *out_n,
             char **err)
{
    std::string messages;
    try {
        spvtools::Optimizer opt(vulkan13 ? SPV_ENV_VULKAN_1_3 : SPV_ENV_VULKAN_1_2);
        opt.SetMessageConsumer([&messages](spv_message_level_t level, const char *, const spv_position_t &,
                                           const char *message) {
            if (level <= SPV_MSG_ERROR) {
                if (!messages.empty())
                    messages += "; ";
                messages += message;
            }
        });
        if (count_blocks(words, n) <= SPV_OPT_MAX_BLOCKS)
            opt.RegisterPerformancePasses();
        std::vector<uint32_t> result;
        /* the caller validated the input and validates the result */
        spvtools::ValidatorOptions vopts;
        if (!opt.Run(words, n, &result, vopts, true)) {
            *err = dup_message(messages.empty() ? "the optimiser failed" : messages);
            return 1;
        }
        *out = static_cast<uint32_t *>(std::malloc(result.size() * sizeof(uint32_t) + 4));
        if (!*out) {
            *err = dup_message("out of memory");
            return 1;
        }
        std::memcpy(*out, result.data(), result.size() * sizeof(uint32_t));
        *out_n = result.size();
        return 0;
    } catch (const std::exception &e) {
        *err = dup_message(e.what());
        return 1;
    }
}
