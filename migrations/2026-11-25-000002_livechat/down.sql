DROP TABLE conversations;
DROP TABLE unit_monitors;
DROP TABLE departments;
