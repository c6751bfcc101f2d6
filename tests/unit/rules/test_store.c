/* placeholder test driver */
int main(void)
{
	return 77;
}
