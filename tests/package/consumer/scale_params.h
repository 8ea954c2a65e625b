/* Shared between the host and the kernel; editing it must rebuild scale.claw.h. */
#define OFFSET 0.0f
