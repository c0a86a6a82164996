// SPDX-License-Identifier: GPL-2.0
/* The axvcpu tracepoints (include/trace/axvcpu.h) are created here. */
#include <linux/module.h>

#define CREATE_TRACE_POINTS
#include "trace/axvcpu.h"
