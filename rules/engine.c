/* placeholder: replaced by the module implementation */
typedef int rules_placeholder_t;
