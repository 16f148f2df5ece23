// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt_lab_fault: faults on demand, built only to prove that the VM lab
 * fails a run that it must fail.  Never loaded outside the lab's own tests.
 *
 *   warn=1        log a kernel WARNING when loaded
 *   leak=BYTES    allocate BYTES from the slab when loaded and never free them
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "Log a kernel WARNING when loaded");

static unsigned int leak;
module_param(leak, uint, 0444);
MODULE_PARM_DESC(leak, "Bytes to allocate and never free when loaded");

static int __init lab_fault_init(void)
{
	WARN(warn, "lab fault: warning requested by the test\n");

	/* A deliberate leak: the lab's slab check must notice it. */
	if (leak && !kmalloc(leak, GFP_KERNEL))
		return -ENOMEM;

	pr_info("loaded warn=%d leak=%u\n", warn, leak);
	return 0;
}

static void __exit lab_fault_exit(void)
{
	pr_info("unloaded\n");
}

module_init(lab_fault_init);
module_exit(lab_fault_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Faults on demand for testing the nf_ckpt VM lab");
