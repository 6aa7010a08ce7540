/*
 * cmd_measure.h: `kbs-policy measure` (cmd_measure.c), dispatched from
 * kbs_policy_main.c's command table.
 */
#ifndef POLICY_CMD_MEASURE_H
#define POLICY_CMD_MEASURE_H

/*
 * cmd_measure runs `kbs-policy measure` on the arguments after the command
 * name. Returns the exit status: 0 printed, 1 the image cannot be measured,
 * 2 usage, option value or I/O error.
 */
int cmd_measure(int argc, char **argv);

#endif
