#include "test.h"
static void t(void) {}
TEST_MAIN(TEST(t))
